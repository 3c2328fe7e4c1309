// The PKCS#11 (Cryptoki) interface for KeyboundPKCS11: the standard header as Debian's
// libp11-kit-dev ships it (self-contained; it needs no macros defined before it), and the
// loader of a module by path. Nothing here links against p11-kit or any PKCS#11 module.
#ifndef CKEYBOUND_PKCS11_H
#define CKEYBOUND_PKCS11_H

#include <p11-kit-1/p11-kit/pkcs11.h>

/// Loads the PKCS#11 module at `path` (dlopen, RTLD_NOW | RTLD_LOCAL) and asks it for its function
/// list. On success returns the list and stores the library handle in `*library`; on failure
/// returns NULL and writes a one-line reason into `reason` (at most `reasonSize` bytes, ended by 0).
CK_FUNCTION_LIST_PTR keybound_pkcs11_load(const char *path, void **library, char *reason, unsigned long reasonSize);

/// Unloads a library that `keybound_pkcs11_load` returned (after `C_Finalize`).
void keybound_pkcs11_unload(void *library);

#endif
