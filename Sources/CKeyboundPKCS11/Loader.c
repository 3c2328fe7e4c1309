#include "CKeyboundPKCS11.h"

#include <dlfcn.h>
#include <stdio.h>

CK_FUNCTION_LIST_PTR keybound_pkcs11_load(const char *path, void **library, char *reason, unsigned long reasonSize) {
    *library = NULL;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *error = dlerror();
        snprintf(reason, reasonSize, "%s", error ? error : "dlopen failed");
        return NULL;
    }
    CK_C_GetFunctionList getFunctionList = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
    if (getFunctionList == NULL) {
        snprintf(reason, reasonSize, "the library has no C_GetFunctionList: not a PKCS#11 module");
        dlclose(handle);
        return NULL;
    }
    CK_FUNCTION_LIST_PTR list = NULL;
    CK_RV rv = getFunctionList(&list);
    if (rv != CKR_OK || list == NULL) {
        snprintf(reason, reasonSize, "C_GetFunctionList returned 0x%lx", (unsigned long)rv);
        dlclose(handle);
        return NULL;
    }
    *library = handle;
    return list;
}

void keybound_pkcs11_unload(void *library) {
    if (library != NULL) dlclose(library);
}
