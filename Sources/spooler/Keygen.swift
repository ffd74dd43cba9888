import ArgumentParser
import SpoolFormat
import SpoolProtocol
import SpoolStore

extension SpoolerCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the installation ID and the Ed25519 signing key pair in the state directory.")

        @OptionGroup var options: SpoolOptions

        @Flag(help: "Replace an existing key and installation ID (starts a new chain).")
        var force = false

        func run() throws {
            let state = options.stateDirectory
            let identity = try state.createIdentity(force: force)
            print("installation \(identity.installation)")
            print("private key  \(PrintableText.path(state.path))/\(StateDirectory.privateKeyFile) (mode 600)")
            print("public key   \(PrintableText.path(state.path))/\(StateDirectory.publicKeyFile)")
            print("fingerprint  \(identity.publicKey.fingerprint)")
        }
    }

    struct Pubkey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print this installation's public key in OpenSSH form.")

        @OptionGroup var options: SpoolOptions

        @Flag(help: "Print a line for an OpenSSH allowed_signers file, for 'ssh-keygen -Y verify' of entries and batch manifests.")
        var allowedSigners = false

        func run() throws {
            let (installation, key) = try options.stateDirectory.loadPublicIdentity()
            if allowedSigners {
                print(BatchManifest.allowedSignersLine(installation: installation, key: key))
            } else {
                print(key.openSSHLine(comment: installation))
            }
        }
    }
}
