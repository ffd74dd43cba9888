import Foundation
import Logging
import ReceiverServer
import ReplayClient
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import SpoolProtocol
    import Crypto
#endif

/// The real `uploader` against the real `receiver` on 127.0.0.1. Serialized: each test runs its
/// own processes, and running them one at a time keeps timings honest on two cores.
@Suite("Upload against a real receiver", .serialized)
struct UploadEndToEndTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func upload(_ spool: TestSpool, to receiver: ReceiverProcess, ledger: String? = nil, _ extra: [String] = []) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await runUpload(spool, to: receiver.url, in: temp, ledger: ledger, extra)
    }

    func status(ledger: String? = nil) async throws -> LedgerStatus {
        let result = try await runUploader(["status", "--json", "--ledger", ledger ?? temp.file("ledger.sqlite")], in: temp)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(LedgerStatus.self, from: Data(result.stdout.utf8))
    }

    /// Every entry of two installations is delivered once; a second run sends nothing at all.
    @Test(.timeLimit(.minutes(2)))
    func deliversEveryEntryOnceAndASecondRunSendsNothing() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, installations: 2, count: 20)
        let receiver = try await ReceiverProcess(in: temp)
        let first = try await upload(spool, to: receiver)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("40 entries: 40 delivered"), "\(first.stdout)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        let summary = try await receiver.summary()
        #expect(summary.installations == 2)
        #expect(summary.reports == 40)
        #expect(summary.byInstallation.allSatisfy { $0.missing.isEmpty && $0.reports == 20 && $0.latestVersion.hasSuffix(".19") })
        #expect(summary.requests.total == 40)

        let second = try await upload(spool, to: receiver)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("40 delivered before"), "\(second.stdout)")
        #expect(second.stdout.contains("0 requests"), "\(second.stdout)")
        #expect(try await receiver.summary().requests.total == 40, "the second run sent requests")

        let status = try await status()
        #expect(status.counts["delivered"] == 40)
        #expect(status.installations.count == 2)
        #expect(status.installations.allSatisfy { $0.highestSequence == 20 && $0.missing.isEmpty })
        await receiver.stop()
    }

    /// With 30% of requests failing with 500, everything arrives in the end, each entry once.
    @Test(.timeLimit(.minutes(2)))
    func deliversEverythingDespite500s() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 60)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "0.3", "--fail-status", "500"])
        // --memory 0: every entry is read and verified again before each attempt.
        let result = try await upload(spool, to: receiver, ["--retry-base", "0.01", "--retry-cap", "0.1", "--max-attempts", "60", "--memory", "0"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        #expect((try await receiver.summary().requests.byStatus["500"] ?? 0) > 0, "no failure was injected")
        await receiver.stop()
    }

    /// Connections dropped before and after storing: everything arrives, each entry once.
    @Test(.timeLimit(.minutes(2)))
    func deliversEverythingDespiteDroppedConnections() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 60)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--drop-rate", "0.3"])
        let result = try await upload(spool, to: receiver, ["--retry-base", "0.01", "--retry-cap", "0.1", "--max-attempts", "60"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        #expect(try await receiver.summary().requests.dropped > 0, "no connection was dropped")
        await receiver.stop()
    }

    /// `Retry-After` on 429 and 503, as seconds and as an HTTP date, delays the retry by that
    /// long, although the backoff alone would retry after 10 ms.
    @Test(.timeLimit(.minutes(2)), arguments: [("429", "1", 1.0), ("503", "http-date:2", 1.0)])
    func obeysRetryAfter(status: String, retryAfter: String, atLeast: Double) async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let receiver = try await ReceiverProcess(
            in: temp, arguments: ["--fail-rate", "1", "--fail-count", "1", "--fail-status", status, "--retry-after", retryAfter])
        let ledgerPath = temp.file("ledger.sqlite")
        let result = try await upload(spool, to: receiver, ledger: ledgerPath, ["--retry-base", "0.01", "--retry-cap", "30", "--concurrency", "1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        let ledger = try Ledger(path: ledgerPath, readOnly: true)
        let delayed = try spool.entries.map { try ledger.attempts(digest: $0.digest) }.filter { $0.count > 1 }
        try #require(delayed.count == 1, "expected one entry to be retried, got \(delayed)")
        let attempts = delayed[0]
        #expect(attempts[0].status == Int(status))
        #expect(attempts[1].status == 201)
        let waited = attempts[1].at.timeIntervalSince(attempts[0].at)
        #expect(waited >= atLeast, "retried after \(waited) s, before Retry-After \(retryAfter)")
        #expect(waited < atLeast + 10, "retried after \(waited) s")
        await receiver.stop()
    }

    /// A 4xx other than 408, 425 and 429 is permanent: one attempt, rejected with its reason,
    /// visible in status, and not sent again by the next run.
    @Test(.timeLimit(.minutes(2)))
    func treats4xxAsPermanent() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 4)
        let refusing = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "1", "--fail-status", "422"])
        let result = try await upload(spool, to: refusing, ["--retry-base", "0.01"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("4 rejected"), "\(result.stdout)")
        #expect(try await refusing.summary().requests.total == 4)
        let status = try await status()
        #expect(status.counts["rejected"] == 4)
        #expect(status.held.allSatisfy { $0.attempts == 1 && $0.reason.hasPrefix("HTTP 422") })
        await refusing.stop()

        let healthy = try await ReceiverProcess(in: temp)
        let again = try await upload(spool, to: healthy)
        #expect(again.status == 1)
        #expect(try await healthy.summary().requests.total == 0, "a rejected entry was sent again")
        // Once the cause is fixed, --retry-rejected sends the dead letters again.
        let retried = try await upload(spool, to: healthy, ["--retry-rejected"])
        #expect(retried.status == 0, "\(retried.stdout)\(retried.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: healthy)
        #expect(try await self.status().counts["delivered"] == 4)
        await healthy.stop()
    }

    /// An endpoint failing every request is an outage, not 200 entry problems: the endpoint is
    /// paused, the run ends with 75, no entry is rejected nor charged an attempt; once the
    /// endpoint recovers, everything is delivered.
    @Test(.timeLimit(.minutes(2)))
    func anOutagePausesTheEndpointAndRejectsNothing() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 200)
        let failing = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "1", "--fail-status", "500"])
        // 16 in flight: the pause comes after 16 failures (never fewer than the requests in
        // flight), and only the requests already in flight then may follow it.
        let result = try await upload(spool, to: failing, ["--retry-base", "0.05", "--retry-cap", "2", "--concurrency", "16"])
        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("endpoint paused: 16 entries in a row failed with no success in between (last: HTTP 500"), "\(result.stdout)")
        #expect(!result.stdout.contains("rejected"), "\(result.stdout)")
        #expect(try await failing.summary().requests.total < 40, "the paused endpoint was still sent requests")
        let status = try await status()
        #expect(status.counts["rejected"] == 0)
        #expect(status.held.isEmpty)
        await failing.stop()

        let healthy = try await ReceiverProcess(in: temp)
        let recovered = try await upload(spool, to: healthy, ["--retry-base", "0.05", "--retry-cap", "2"])
        #expect(recovered.status == 0, "\(recovered.stdout)\(recovered.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: healthy)
        await healthy.stop()
    }

    /// While the endpoint otherwise answers, an entry that keeps failing is given up after
    /// --max-attempts, with the last error as its reason.
    @Test(.timeLimit(.minutes(2)))
    func rejectsAfterMaxAttemptsWhileTheEndpointAnswers() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 12)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "0.5", "--fail-status", "500"])
        let result = try await upload(spool, to: receiver, ["--retry-base", "0.01", "--retry-cap", "0.02", "--max-attempts", "1", "--concurrency", "1"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let status = try await status()
        let rejected = status.counts["rejected"] ?? 0
        #expect(rejected > 0)
        #expect(rejected + (status.counts["delivered"] ?? 0) == 12, "\(status.counts)")
        #expect(status.held.allSatisfy { $0.attempts == 1 && $0.reason.contains("gave up after 1 attempts; last: HTTP 500") }, "\(status.held)")
        await receiver.stop()
    }

    /// Stopping early: entries whose next attempt is beyond --max-wait wait in the ledger (exit 75),
    /// and a later run does not send them before they are due.
    @Test(.timeLimit(.minutes(2)))
    func leavesEntriesWaitingBeyondMaxWait() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let failing = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "1", "--fail-status", "503", "--retry-after", "3600"])
        let first = try await upload(spool, to: failing, ["--max-wait", "5"])
        #expect(first.status == 75, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("3 waiting"), "\(first.stdout)")
        let status = try await status()
        #expect(status.counts["retrying"] == 3)
        #expect(status.nextRetry != nil)
        await failing.stop()
        let healthy = try await ReceiverProcess(in: temp)
        let second = try await upload(spool, to: healthy, ["--max-wait", "0"])
        #expect(second.status == 75)
        #expect(try await healthy.summary().requests.total == 0, "an entry was sent before its Retry-After")
        await healthy.stop()
    }

    /// Tampered entries are quarantined with the reason and never reach the receiver.
    @Test(.timeLimit(.minutes(2)))
    func quarantinesTamperedEntries() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 8)
        // Entry 3: its body changed and recompressed, so gzip is fine and only the signature catches it.
        let third = spool.entries[2]
        let forged = try Gzip.compressMember(third.metadataLine + [0x0a]) + Gzip.compressMember(Array(#"{"users":100000}"#.utf8))
        try Data(forged).write(to: URL(fileURLWithPath: spool.path(of: third)))
        // Entry 6: one byte flipped on disk.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: spool.path(of: spool.entries[5]))))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: spool.path(of: spool.entries[5])))

        let verify = try await runUploader(["verify", spool.directory, "--ledger", temp.file("ledger.sqlite")], in: temp)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains(third.name.entryFile) && verify.stdout.contains("[signature_invalid]"), "\(verify.stdout)")
        #expect(verify.stdout.contains(spool.entries[5].name.entryFile), "\(verify.stdout)")

        let receiver = try await ReceiverProcess(in: temp)
        let result = try await upload(spool, to: receiver)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("6 delivered") && result.stdout.contains("2 quarantined"), "\(result.stdout)")
        let summary = try await receiver.summary()
        #expect(summary.requests.total == 6, "a tampered entry reached the receiver")
        #expect(summary.byInstallation.first?.missing == [.init(first: 3, last: 3), .init(first: 6, last: 6)])
        let status = try await status()
        #expect(status.counts["quarantined"] == 2)
        #expect(status.held.contains { $0.file == third.name.entryFile && $0.reason.hasPrefix("signature_invalid") })
        await receiver.stop()
    }

    /// An entry changed after the spool was verified, but before it was sent, is quarantined when
    /// it is read again for sending (--memory 0 keeps no verified entry in memory).
    @Test(.timeLimit(.minutes(2)))
    func quarantinesAnEntryChangedAfterVerification() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 5)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--delay-ms", "500"])
        let child = try ChildProcess(
            Command.product("uploader"),
            [
                "upload", spool.directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger.sqlite"), "--concurrency", "1", "--memory", "0",
            ], outputIn: temp.path)
        while try await receiver.summary().reports == 0, child.process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let last = spool.entries[4]
        let forged = try Gzip.compressMember(last.metadataLine + [0x0a]) + Gzip.compressMember(Array(#"{"users":0}"#.utf8))
        try Data(forged).write(to: URL(fileURLWithPath: spool.path(of: last)))
        let status = await child.wait()
        #expect(status == 1, "\(child.stdout)\(child.stderr)")
        #expect(child.stdout.contains("4 delivered, 1 quarantined"), "\(child.stdout)")
        let summary = try await receiver.summary()
        #expect(summary.requests.total == 4, "the changed entry reached the receiver")
        let held = try await self.status().held
        #expect(held.count == 1 && held[0].file == last.name.entryFile && held[0].reason.contains("checked again before sending"), "\(held)")
        await receiver.stop()
    }

    /// Trust on first use in the ledger: an entry signed by another key for a pinned
    /// installation is quarantined, never sent.
    @Test(.timeLimit(.minutes(2)))
    func quarantinesAForeignKeyForAPinnedInstallation() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 2)
        let receiver = try await ReceiverProcess(in: temp)
        #expect(try await upload(spool, to: receiver).status == 0)
        // A second spool: installation of the first, but another key.
        let impostor = try TestSpool.make(in: temp.file("spool2"), stateRoot: temp.path + "/other", count: 1)
        let claimed = spool.identities[0].installation
        let key = impostor.identities[0].signingKey
        let metadata = EntryMetadata(
            kind: .report, installation: claimed, sequence: 3, created: Date(), productVersion: "9.9.9", schema: 1,
            previous: spool.entries[1].digest, key: SSHPublicKey(key.publicKey).fingerprint,
            request: ReplayRequest(), body: Array("{}".utf8))
        let forged = try SpoolEntry.make(metadata: metadata, body: Array("{}".utf8), signingKey: key)
        try Data(try forged.compressedFile()).write(to: URL(fileURLWithPath: impostor.directory + "/" + forged.name.entryFile))
        try Data(forged.signatureFile.utf8).write(to: URL(fileURLWithPath: impostor.directory + "/" + forged.name.signatureFile))
        let result = try await runUploader(["upload", impostor.directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger.sqlite")], in: temp)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("[key_wrong_installation]"), "\(result.stderr)")
        #expect(try await receiver.summary().requests.total == 3, "only the impostor's own installation entry may be sent")
        await receiver.stop()
    }

    /// SIGKILL at least 20 times mid-batch, then a run to completion: every entry stored once,
    /// none missing.
    @Test(.timeLimit(.minutes(3)))
    func survivesRepeatedSIGKILL() async throws {
        let count = 300
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: count)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--delay-ms", "25"])
        let ledger = temp.file("ledger.sqlite")
        let arguments = ["upload", spool.directory, "--endpoint", receiver.url, "--ledger", ledger, "--concurrency", "2"]
        var kills = 0
        var stored = 0
        while kills < 20 {
            let child = try ChildProcess(Command.product("uploader"), arguments, outputIn: temp.path)
            // Kill only once this run has delivered something: then it is mid-batch for sure.
            let before = stored
            let deadline = Date().addingTimeInterval(60)
            while child.process.isRunning, Date() < deadline {
                stored = try await receiver.summary().reports
                if stored > before { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
            guard child.process.isRunning else {
                Issue.record("the uploader finished after \(kills) kills: \(child.stdout)")
                break
            }
            child.kill(SIGKILL)
            let status = await child.wait()
            #expect(status == 128 + SIGKILL || child.process.terminationReason == .uncaughtSignal)
            kills += 1
            // Requests of the killed run still in the receiver finish within its delay; count
            // progress from what is stored after that.
            try await Task.sleep(for: .milliseconds(100))
            stored = try await receiver.summary().reports
        }
        stored = try await receiver.summary().reports
        #expect(stored < count, "everything was delivered before the last kill")
        let final = try await runUploader(arguments, in: temp)
        #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        let summary = try await receiver.summary()
        #expect(summary.reports == count && summary.byInstallation.first?.missing == [])
        let status = try await status(ledger: ledger)
        #expect(status.counts["delivered"] == count)
        await receiver.stop()
    }

    /// Entries removed by a spool limit are declared by a tombstone: the receiver and the ledger
    /// list them as lost, not missing.
    @Test(.timeLimit(.minutes(2)))
    func reportsEntriesRemovedBySpoolLimitsAsLostNotMissing() async throws {
        let directory = temp.file("spool")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let state = StateDirectory(path: temp.file("state"))
        let identity = try state.createIdentity()
        let writer = try SpoolWriter(spool: directory, state: state, identity: identity, logger: Logger(label: "test"))
        let old = Date().addingTimeInterval(-10 * 86_400)
        for n in 1...6 {
            _ = try writer.append(body: Array(#"{"n":\#(n)}"#.utf8), productVersion: "3.0.\(n)", schema: 1, now: n <= 4 ? old : Date())
        }
        let tombstones = try writer.prune(limits: SpoolLimits(maxAge: 86_400), productVersion: "3.0.6")
        try #require(tombstones.count == 1)
        let receiver = try await ReceiverProcess(in: temp)
        let result = try await runUploader(["upload", directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger.sqlite")], in: temp)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let installation = try #require(try await receiver.summary().byInstallation.first)
        #expect(installation.reports == 2 && installation.tombstones == 1)
        #expect(installation.lost == [.init(first: 1, last: 4)])
        #expect(installation.missing == [])
        let ledger = try #require(try await status().installations.first)
        #expect(ledger.lost == [.init(first: 1, last: 4)])
        #expect(ledger.missing == [])
        await receiver.stop()
    }

    /// One uploader per ledger: while another process holds the ledger's lock (here the stock
    /// `flock` tool), upload stops at once naming the lock file and sends nothing; once that
    /// process is killed with SIGKILL the kernel has released the lock and upload runs.
    @Test(.timeLimit(.minutes(2)))
    func aSecondUploaderOnTheLedgerStopsUntilTheHolderIsGone() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 2)
        let receiver = try await ReceiverProcess(in: temp)
        let holder = try ProcessGroup(shell: "exec flock ledger.sqlite.lock sh -c 'touch held && exec sleep 60'", in: temp.path)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: temp.file("held")), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(FileManager.default.fileExists(atPath: temp.file("held")), "flock did not take the lock")

        let refused = try await upload(spool, to: receiver)
        #expect(refused.status == 75, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("another uploader is using the ledger (\(temp.file("ledger.sqlite.lock")) is locked)"), "\(refused.stderr)")
        #expect(try await receiver.summary().requests.total == 0)

        holder.kill()
        // SIGKILL is delivered asynchronously: wait until the kernel has closed the holder's
        // descriptors (stock `flock -n` then gets the lock) before uploading again.
        let released = Date().addingTimeInterval(10)
        while try Command.run("flock", ["-n", temp.file("ledger.sqlite.lock"), "true"]).status != 0, Date() < released {
            try await Task.sleep(for: .milliseconds(20))
        }
        let delivered = try await upload(spool, to: receiver)
        #expect(delivered.status == 0, "\(delivered.stdout)\(delivered.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    /// TLS verification is on: a certificate from an unknown CA is refused; `--ca-file` with the
    /// site's CA makes it trusted.
    @Test(.timeLimit(.minutes(2)))
    func verifiesTLSAndTrustsTheCAFile() async throws {
        let certificates = try await TestCertificates(in: temp.path)
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--tls-certificate", certificates.certificateFile, "--tls-key", certificates.keyFile])
        #expect(receiver.url.hasPrefix("https://"))
        // Every request fails alike: an endpoint problem, so the endpoint is paused and nothing rejected.
        let refused = try await upload(spool, to: receiver, ledger: temp.file("refused.sqlite"), ["--max-attempts", "1"])
        #expect(refused.status == 75, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("3 waiting") && refused.stdout.contains("endpoint paused"), "\(refused.stdout)")
        let errors = try await status(ledger: temp.file("refused.sqlite")).latestErrors
        #expect(
            !errors.isEmpty
                && errors.allSatisfy {
                    ($0.error ?? "").localizedCaseInsensitiveContains("certificate") || ($0.error ?? "").localizedCaseInsensitiveContains("handshake")
                }, "\(errors)")
        #expect(try await receiver.summary().requests.total == 0)

        let trusted = try await upload(spool, to: receiver, ["--ca-file", certificates.caFile])
        #expect(trusted.status == 0, "\(trusted.stdout)\(trusted.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    /// `HTTPS_PROXY` sends the requests through the proxy (here the receiver, which refuses the
    /// CONNECT, so the error comes from the proxy, not from DNS); `NO_PROXY` bypasses it.
    @Test(.timeLimit(.minutes(1)))
    func usesTheProxyUnlessNoProxyMatches() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let proxy = try await ReceiverProcess(in: temp)
        let arguments = ["upload", spool.directory, "--endpoint", "https://telemetry.invalid:9", "--max-attempts", "1", "--connect-timeout", "5"]
        let proxied = try await runUploader(
            arguments + ["--ledger", temp.file("proxied.sqlite")], in: temp,
            environment: ["HTTPS_PROXY": proxy.url, "NO_PROXY": "", "https_proxy": "", "no_proxy": ""])
        #expect(proxied.status == 75)
        let viaProxy = try await status(ledger: temp.file("proxied.sqlite")).latestErrors
        #expect(viaProxy.first?.error?.contains("Proxy") == true, "\(viaProxy)")
        let bypassed = try await runUploader(
            arguments + ["--ledger", temp.file("bypassed.sqlite")], in: temp,
            environment: ["HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost,.invalid", "https_proxy": "", "no_proxy": ""])
        #expect(bypassed.status == 75)
        let direct = try await status(ledger: temp.file("bypassed.sqlite")).latestErrors
        #expect(direct.first?.error?.contains("Proxy") == false, "\(direct)")
        await proxy.stop()
    }

    /// Usage errors exit with 2 and name the option and the fix.
    @Test(.timeLimit(.minutes(1)))
    func usageErrorsExitWith2() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let result = try await runUploader(["upload", spool.directory, "--endpoint", "ftp://example", "--ledger", temp.file("l.sqlite")], in: temp)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--endpoint 'ftp://example' is not an http(s) URL"), "\(result.stderr)")
        let inside = try await runUploader(
            ["upload", spool.directory, "--endpoint", "http://127.0.0.1:9", "--ledger", spool.directory + "/ledger.sqlite"], in: temp)
        #expect(inside.status == 2)
        #expect(inside.stderr.contains("inside the spool directory"), "\(inside.stderr)")
    }
}
