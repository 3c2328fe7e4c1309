import Foundation
import KeyboundPKCS11
import Testing

/// A wrong module, label or PIN is refused when the token is opened, with its own code.
@Suite("PKCS#11 custody: configuration errors")
struct PKCS11ConfigurationTests {
    static func openError(_ configuration: PKCS11Configuration) async -> PKCS11Error? {
        do {
            let token = try await PKCS11Token.open(configuration)
            await token.close()
            return nil
        } catch {
            return error
        }
    }

    @Test("a missing module is refused as pkcs11_module")
    func missingModule() async throws {
        let setup = try await SoftHSMToken.shared()
        var configuration = setup.configuration
        configuration.modulePath = "/nonexistent/libpkcs11.so"
        #expect(await Self.openError(configuration)?.code == .module)
    }

    @Test("a label no slot carries is refused as pkcs11_token_not_found")
    func unknownLabel() async throws {
        var configuration = try await SoftHSMToken.shared().configuration
        configuration.tokenLabel = "no-such-token"
        #expect(await Self.openError(configuration)?.code == .tokenNotFound)
    }

    @Test("a wrong PIN is refused as pkcs11_login, and the message does not carry it")
    func wrongPIN() async throws {
        let setup = try await SoftHSMToken.shared()
        var configuration = setup.configuration
        configuration.tokenLabel = SoftHSMToken.loginTestLabel
        let variable = "SOFTHSM_TEST_WRONG_PIN"
        setenv(variable, "not-the-pin-0451", 1)
        configuration.pin = .environment(variable)
        let error = await Self.openError(configuration)
        #expect(error?.code == .login)
        #expect(error.map { !$0.message.contains("not-the-pin-0451") } == true)
    }

    @Test("the PIN from an environment variable opens the token; an unset variable is refused as pkcs11_pin")
    func pinFromEnvironment() async throws {
        var configuration = try await SoftHSMToken.shared().configuration
        configuration.pin = .environment(SoftHSMToken.pinVariable)
        #expect(await Self.openError(configuration) == nil)
        configuration.pin = .environment("SOFTHSM_TEST_UNSET_\(UUID().uuidString.prefix(6))")
        #expect(await Self.openError(configuration)?.code == .pin)
    }

    @Test("a PIN file that others may read is refused as pkcs11_pin")
    func pinFileReadableByOthers() async throws {
        let setup = try await SoftHSMToken.shared()
        let loose = setup.directory.appendingPathComponent("loose-pin-\(UUID().uuidString)")
        try Data(contentsOf: setup.pinFile).write(to: loose)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose.path)
        var configuration = setup.configuration
        configuration.pin = .file(loose.path)
        let error = await Self.openError(configuration)
        #expect(error?.code == .pin)
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test("a session count outside 1…64 is refused as pkcs11_configuration", arguments: [0, 65])
    func sessionCountOutOfRange(sessions: Int) async throws {
        var configuration = try await SoftHSMToken.shared().configuration
        configuration.sessions = sessions
        #expect(await Self.openError(configuration)?.code == .configuration)
    }
}
