import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import SpoolFormat
import SpoolStore

extension SpoolerCommand {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show an entry's metadata, its pretty-printed body and its signature status.",
            discussion: "Exit status: 0 when the signature verifies, 1 when it does not or the entry cannot be read, 2 on usage errors.")

        @OptionGroup var options: SpoolOptions

        @Option(help: ArgumentHelp("Check the signature against this OpenSSH allowed_signers file.", valueName: "file"))
        var allowedSigners: String?

        @Argument(help: ArgumentHelp("The entry's .json.gz (or its .sig).", valueName: "file"))
        var file: String

        func run() throws {
            let entryPath = file.hasSuffix(".sig") ? String(file.dropLast(4)) : file
            let signaturePath = entryPath + ".sig"
            let limits = SpoolEntry.Limits()
            let compressed: [UInt8]
            do {
                compressed = try FileSystem.read(entryPath, maxBytes: limits.maxFileBytes)
            } catch {
                throw RuntimeFailure("\(error)")
            }
            // Show what the file holds even when it does not verify: an auditor needs to see it.
            let members: [[UInt8]]
            do {
                members = try Gzip.decompressMembers(compressed, expectedMembers: 2, limits: limits.gzip)
            } catch {
                print("\(PrintableText.path(entryPath)): \(error)")
                throw ExitCode(ExitStatus.problems)
            }
            print("== metadata (\(PrintableText.path(entryPath)))")
            print((try? PrettyJSON.format(members[0])) ?? String(decoding: members[0], as: UTF8.self))
            print("== body (\(members[1].count) bytes)")
            print((try? PrettyJSON.format(members[1])) ?? String(decoding: members[1], as: UTF8.self))
            print("== signature (\(PrintableText.path(signaturePath)))")
            let status = signatureStatus(compressed: compressed, signaturePath: signaturePath)
            print(status.text)
            if !status.good { throw ExitCode(ExitStatus.problems) }
        }

        func signatureStatus(compressed: [UInt8], signaturePath: String) -> (good: Bool, text: String) {
            let signature: [UInt8]
            do {
                signature = try FileSystem.read(signaturePath, maxBytes: SpoolEntry.Limits().maxSignatureBytes)
            } catch {
                return (false, "MISSING: \(error)")
            }
            let trust: any SignerTrust
            if let allowedSigners {
                guard let signers = try? AllowedSigners(contentsOf: allowedSigners) else { return (false, "cannot read allowed signers \(allowedSigners)") }
                trust = signers
            } else if let identity = try? options.stateDirectory.loadPublicIdentity() {
                trust = SingleSignerTrust(key: identity.key, principal: identity.installation)
            } else {
                return (false, "UNCHECKED: no key to check against (pass --state or --allowed-signers)")
            }
            do {
                let entry = try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust)
                return (
                    true,
                    "GOOD: signed by \(entry.signature.publicKey.fingerprint) for installation \(entry.metadata.installation), namespace \(SpoolEntry.namespace)\ndigest \(entry.digest)"
                )
            } catch {
                return (false, "BAD: \(error.description) [\(error.code)]")
            }
        }
    }
}
