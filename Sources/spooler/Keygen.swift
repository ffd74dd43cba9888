import ArgumentParser
import SpoolFormat
import SpoolProtocol
import SpoolStore

extension SpoolerCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Create the installation ID and the Ed25519 signing key pair in the state directory, or import a site's key.",
            discussion: """
                The private key is an unencrypted OpenSSH key (mode 600), so 'ssh-keygen -y -f signing-key' prints its \
                public key and 'ssh-keygen -Y sign -f signing-key' signs exactly as the spooler does. With --import FILE, \
                an existing unencrypted Ed25519 OpenSSH key (ssh-keygen -t ed25519 -N '') becomes the signing key; an \
                existing installation ID is kept.
                """)

        @OptionGroup var options: SpoolOptions

        @Option(
            name: .customLong("import"),
            help: ArgumentHelp("Use this unencrypted Ed25519 OpenSSH private key (mode 600) instead of making a new one.", valueName: "file"))
        var importFile: String?

        @Flag(help: "Replace an existing key (without --import: and the installation ID, which starts a new chain).")
        var force = false

        func run() throws {
            let state = options.stateDirectory
            let identity = try importFile.map { try state.importIdentity(keyFile: $0, force: force) } ?? state.createIdentity(force: force)
            if let importFile { print("imported     \(PrintableText.path(importFile))") }
            print("installation \(identity.installation)")
            print("private key  \(PrintableText.path(state.path))/\(StateDirectory.privateKeyFile) (mode 600)")
            print("public key   \(PrintableText.path(state.path))/\(StateDirectory.publicKeyFile)")
            print("fingerprint  \(identity.publicKey.fingerprint)")
        }
    }

    struct Pubkey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pubkey",
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
