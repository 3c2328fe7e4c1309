import Keybound

/// Why PKCS#11 custody refused or failed: a code for programs and one line for people.
///
/// A message names the module, the token label and the failing `C_*` call with its `CKR_` value;
/// it never carries the PIN or key material.
public typealias PKCS11Error = CodedError<PKCS11ErrorCode>

/// The codes of ``PKCS11Error``.
public enum PKCS11ErrorCode: String, ErrorCode, CaseIterable {
    /// The module could not be loaded, or is not a PKCS#11 module.
    case module = "pkcs11_module"
    /// The configuration is not usable (an empty label, a session count out of range).
    case configuration = "pkcs11_configuration"
    /// The PIN's file or environment variable is missing, empty, or readable by others.
    case pin = "pkcs11_pin"
    /// No slot holds a token with the configured label.
    case tokenNotFound = "pkcs11_token_not_found"
    /// The token refused the PIN.
    case login = "pkcs11_login"
    /// The token is absent or not answering (removed, or its sessions were lost). Signing fails
    /// closed until it returns; the next call after that reconnects.
    case unavailable = "pkcs11_token_unavailable"
    /// The token holds no private key with the identifier of that issuer and `kid`.
    case keyNotFound = "pkcs11_key_not_found"
    /// The token or Keybound does not support the algorithm or mechanism.
    case unsupported = "pkcs11_unsupported"
    /// A `C_*` call failed for another reason.
    case failed = "pkcs11_error"
}
