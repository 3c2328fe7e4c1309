// A test-only PKCS#11 module that forwards every call to another module (SoftHSM2) and can
// pretend its token was pulled out. The tests compile it with clang into a temporary directory.
//
// It forwards to SoftHSM2 (/usr/lib/softhsm/libsofthsm2.so). While a file named like the module
// with ".removed" appended exists (`/tmp/x/removable.so.removed`), the token is "removed": no
// slot reports a token, and every call that needs one answers CKR_DEVICE_REMOVED or
// CKR_TOKEN_NOT_PRESENT. Each compiled copy has its own switch, so tests do not share one.
#define _GNU_SOURCE
#include <p11-kit-1/p11-kit/pkcs11.h>

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static CK_FUNCTION_LIST_PTR target = NULL;
static CK_FUNCTION_LIST forwarding;
static char switch_file[4096];

static int removed(void) {
    return switch_file[0] != 0 && access(switch_file, F_OK) == 0;
}

static CK_RV get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR slots, CK_ULONG_PTR count) {
    if (removed() && present) { *count = 0; return CKR_OK; }
    return target->C_GetSlotList(present, slots, count);
}

static CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
    if (removed()) return CKR_TOKEN_NOT_PRESENT;
    return target->C_GetTokenInfo(slot, info);
}

static CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR application, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session) {
    if (removed()) return CKR_TOKEN_NOT_PRESENT;
    return target->C_OpenSession(slot, flags, application, notify, session);
}

static CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG length) {
    if (removed()) return CKR_DEVICE_REMOVED;
    return target->C_Login(session, user, pin, length);
}

static CK_RV sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    if (removed()) return CKR_DEVICE_REMOVED;
    return target->C_SignInit(session, mechanism, key);
}

static CK_RV sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG length, CK_BYTE_PTR signature, CK_ULONG_PTR signatureLength) {
    if (removed()) return CKR_DEVICE_REMOVED;
    return target->C_Sign(session, data, length, signature, signatureLength);
}

static CK_RV find_objects_init(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR template, CK_ULONG count) {
    if (removed()) return CKR_DEVICE_REMOVED;
    return target->C_FindObjectsInit(session, template, count);
}

static CK_RV generate_key_pair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR publicTemplate,
                               CK_ULONG publicCount, CK_ATTRIBUTE_PTR privateTemplate, CK_ULONG privateCount,
                               CK_OBJECT_HANDLE_PTR publicKey, CK_OBJECT_HANDLE_PTR privateKey) {
    if (removed()) return CKR_DEVICE_REMOVED;
    return target->C_GenerateKeyPair(session, mechanism, publicTemplate, publicCount, privateTemplate, privateCount, publicKey, privateKey);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (target == NULL) {
        Dl_info self;
        // A static function names this library: an exported symbol could resolve to another
        // module's C_GetFunctionList already loaded in the process (p11-kit's, say).
        if (dladdr((void *)removed, &self) == 0 || self.dli_fname == NULL) return CKR_GENERAL_ERROR;
        snprintf(switch_file, sizeof switch_file, "%s.removed", self.dli_fname);
        void *library = dlopen("/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) return CKR_GENERAL_ERROR;
        CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(library, "C_GetFunctionList");
        if (get == NULL || get(&target) != CKR_OK) return CKR_GENERAL_ERROR;
        forwarding = *target;
        forwarding.C_GetSlotList = get_slot_list;
        forwarding.C_GetTokenInfo = get_token_info;
        forwarding.C_OpenSession = open_session;
        forwarding.C_Login = login;
        forwarding.C_SignInit = sign_init;
        forwarding.C_Sign = sign;
        forwarding.C_FindObjectsInit = find_objects_init;
        forwarding.C_GenerateKeyPair = generate_key_pair;
    }
    *list = &forwarding;
    return CKR_OK;
}
