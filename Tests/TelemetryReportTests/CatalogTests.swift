import Foundation
import TestSupport
import Testing

@testable import TelemetryReport

@Suite("Metric catalog")
struct CatalogTests {
    @Test("keys are unique, stable-looking, and every metric names the version that introduced it")
    func keysAndVersions() {
        let keys = MetricCatalog.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        for definition in MetricCatalog.all {
            #expect(definition.key.wholeMatch(of: #/[a-z0-9_]+(\.[a-z0-9_]+)*/#) != nil, "\(definition.key)")
            #expect(definition.since == "<2.6" || PrivacyGuard.isVersion(definition.since), "\(definition.key): \(definition.since)")
            for word in definition.type.vocabulary?.words ?? [] {
                #expect(word.wholeMatch(of: #/[a-z0-9_-]+/#) != nil, "\(definition.key): \(word)")
            }
        }
    }

    /// One metric (or more) for every row of the reference table.
    @Test(
        "every family of the reference telemetry has a metric",
        arguments: [
            "environments", "machines.by_kind", "projects", "steps.by_type", "releases.last_90_days", "deployments.last_90_days",
            "users", "license.serial_sha1", "server.memory_bytes", "server.cpu_percent", "channels", "tenants", "tenant_tags",
            "certificates", "time_to_first_deployment", "lets_encrypt.enabled", "guest_account.enabled", "steps.community.by_type",
            "cloud_accounts.by_provider", "builtin_worker.custom_account", "workers", "projects.release_note_templates",
            "metadata.last_event_date", "users.monthly_active", "host.os.name", "targets.os.by_name", "issue_trackers.by_type",
            "runbooks", "runbook_runs.last_90_days", "runbook_snapshots", "triggers", "host.container", "steps.options.by_name",
            "calls.database.by_type", "calls.api.by_result", "calls.database.mean_duration", "events.by_name",
            "structured_config.steps", "structured_config.extensions", "targets.architecture.by_name", "projects.version_controlled",
        ])
    func family(key: String) {
        #expect(MetricCatalog.definition(key) != nil)
    }

    @Test("value types cover the kinds of the reference: count, counts by kind, boolean, hash, duration, date, percent, bytes, vocabulary")
    func typesCovered() {
        let names = Set(MetricCatalog.all.map(\.type.name))
        #expect(
            names.isSuperset(of: ["count", "counts_by_kind", "boolean", "hash:sha1", "duration_seconds", "date", "percent", "bytes", "vocabulary", "version"]))
    }

    @Test("spooler catalog prints the table, and --json every key with its type, version and vocabulary", .timeLimit(.minutes(1)))
    func catalogCommand() throws {
        let table = try Command.run(Command.product("spooler"), ["catalog"])
        #expect(table.status == 0)
        #expect(table.lines.first?.hasPrefix("metric") == true)
        for definition in MetricCatalog.all {
            #expect(table.stdout.contains(definition.key))
        }
        let json = try Command.run(Command.product("spooler"), ["catalog", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? Int == currentPayloadSchema)
        let metrics = try #require(object["metrics"] as? [[String: Any]])
        #expect(metrics.map { $0["key"] as? String } == MetricCatalog.all.map(\.key))
        let machines = try #require(metrics.first { $0["key"] as? String == "machines.by_kind" })
        #expect(machines["since"] as? String == "<2.6")
        #expect((machines["vocabulary"] as? [String])?.contains("kubernetes") == true)
    }
}
