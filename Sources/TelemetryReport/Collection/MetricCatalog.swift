/// One metric of the catalog: a stable key, its type, and the product version that introduced it.
public struct MetricDefinition: Equatable, Sendable {
    public let key: String
    public let type: MetricType
    /// The product version that introduced the metric (`<2.6` for the first generation).
    public let since: String
    public let summary: String
    /// The built-in probe that fills it when the configuration names no other source.
    public let probe: ProbeKind?
    /// For a count (and each count of a counts_by_kind): the largest plausible value. Anything
    /// larger is refused, as it is more likely something else written as a number (an IPv4
    /// address is a number from 16,777,216 up) than a count.
    public let maxCount: Int64

    init(_ key: String, _ type: MetricType, since: String, _ summary: String, probe: ProbeKind? = nil, max: Int64 = MetricType.Limits.maxCount) {
        self.key = key
        self.type = type
        self.since = since
        self.summary = summary
        self.probe = probe
        self.maxCount = max
    }
}

/// The built-in host probes.
public enum ProbeKind: String, Sendable, CaseIterable {
    case memory, cpu
    case osName = "os_name"
    case osVersion = "os_version"
    case architecture, container, license
}

/// Every metric a report may carry. Keys never change meaning; new metrics get new keys.
public enum MetricCatalog {
    public static func definition(_ key: String) -> MetricDefinition? { byKey[key] }

    static let byKey: [String: MetricDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    public static let all: [MetricDefinition] = [
        // The first generation (before 2.6).
        .init("environments", .count, since: "<2.6", "number of environments", max: 100_000),
        .init("machines.by_kind", .countsByKind(machineKinds), since: "<2.6", "machines and deployment targets, by kind", max: 10_000_000),
        .init("projects", .count, since: "<2.6", "number of projects", max: 1_000_000),
        .init("steps.by_type", .countsByKind(stepTypes), since: "<2.6", "deployment steps, by built-in step type", max: 10_000_000),
        .init("releases.last_90_days", .count, since: "<2.6", "releases created in the last 90 days", max: 10_000_000),
        .init("deployments.last_90_days", .count, since: "<2.6", "deployments in the last 90 days", max: 10_000_000),
        .init("users", .count, since: "<2.6", "number of users", max: 10_000_000),
        // 2.6
        .init("license.serial_sha1", .hash(algorithm: "sha1", hexDigits: 40), since: "2.6", "SHA-1 of the license key serial number", probe: .license),
        .init("server.memory_bytes", .bytes, since: "2.6", "resident memory of the server process", probe: .memory),
        .init(
            "server.cpu_percent", .percent(max: 100 * 1024), since: "2.6", "average CPU % of the server process since the previous report (100 = one core)",
            probe: .cpu),
        // 3.x
        .init("channels", .count, since: "3.2", "number of channels", max: 1_000_000),
        .init("tenants", .count, since: "3.4", "number of tenants", max: 10_000_000),
        .init("tenant_tags", .count, since: "3.4", "number of tenant tags", max: 1_000_000),
        .init("certificates", .count, since: "3.11.2", "number of certificates", max: 1_000_000),
        .init("time_to_first_deployment", .duration, since: "3.12", "seconds from installation to the first deployment"),
        .init("lets_encrypt.enabled", .boolean, since: "3.15", "whether Let's Encrypt is used"),
        .init("guest_account.enabled", .boolean, since: "3.16.1", "whether the guest account is enabled"),
        // 2018.2.2
        .init("steps.community.by_type", .countsByKind(communityStepTypes), since: "2018.2.2", "community (third-party) steps, by step type", max: 10_000_000),
        .init("cloud_accounts.by_provider", .countsByKind(cloudProviders), since: "2018.2.2", "cloud accounts, by provider", max: 100_000),
        .init("builtin_worker.custom_account", .boolean, since: "2018.2.2", "whether the built-in worker runs under a custom account"),
        .init("workers", .count, since: "2018.2.2", "number of workers other than the built-in one", max: 1_000_000),
        // 2019.x
        .init("issue_trackers.by_type", .countsByKind(issueTrackers), since: "2019.4", "issue trackers in use, by type", max: 10_000),
        .init("projects.release_note_templates", .count, since: "2019.4.0", "projects with a release-note template", max: 1_000_000),
        .init("metadata.last_event_date", .date, since: "2019.4.0", "day of the newest metadata event"),
        .init("users.monthly_active", .count, since: "2019.5.1", "users active in the last 30 days", max: 10_000_000),
        .init("host.os.name", .vocabulary(operatingSystems), since: "2019.5.4", "operating system of the server host", probe: .osName),
        .init("host.os.version", .version, since: "2019.5.4", "operating system version of the server host", probe: .osVersion),
        .init("host.architecture", .vocabulary(architectures), since: "2019.5.4", "CPU architecture of the server host", probe: .architecture),
        .init("targets.os.by_name", .countsByKind(targetOperatingSystems), since: "2019.5.4", "deployment targets, by operating system", max: 10_000_000),
        .init("runbooks", .count, since: "2019.10", "number of runbooks", max: 1_000_000),
        .init("runbook_runs.last_90_days", .count, since: "2019.10", "runbook runs in the last 90 days", max: 10_000_000),
        .init("runbook_snapshots", .count, since: "2019.10", "number of runbook snapshots", max: 10_000_000),
        .init("triggers", .count, since: "2019.10", "number of project and runbook triggers", max: 1_000_000),
        // 2020.x
        .init("host.container", .boolean, since: "2020.1.21", "whether the server runs in a container", probe: .container),
        .init("steps.options.by_name", .countsByKind(stepOptions), since: "2020.2.5", "steps using each configuration option", max: 10_000_000),
        .init("calls.database.by_type", .countsByKind(databaseCallTypes), since: "2020.2.14", "database calls, by type", max: 1_000_000_000),
        .init("calls.database.failures", .count, since: "2020.2.14", "database calls that failed", max: 1_000_000_000),
        .init("calls.database.mean_duration", .duration, since: "2020.2.14", "mean duration of a database call, in seconds"),
        .init("calls.api.by_result", .countsByKind(apiResults), since: "2020.2.14", "API calls, by result class", max: 1_000_000_000),
        .init("calls.api.mean_duration", .duration, since: "2020.2.14", "mean duration of an API call, in seconds"),
        .init(
            "events.by_name", .countsByKind(internalEvents), since: "2020.3.0", "internal events (deprecated code paths, errors), by event", max: 1_000_000_000),
        .init("structured_config.steps", .count, since: "2020.4.0", "steps with structured configuration variables enabled", max: 10_000_000),
        .init(
            "structured_config.extensions", .countsByKind(configExtensions), since: "2020.4.0",
            "files targeted by structured configuration variables, by extension", max: 10_000_000),
        // 2021.x
        .init(
            "targets.architecture.by_name", .countsByKind(architectures), since: "2021.1.0", "deployment-target agents, by CPU architecture", max: 10_000_000),
        .init("projects.version_controlled", .count, since: "2021.2.0", "version-controlled projects", max: 1_000_000),
    ]

    // MARK: Vocabularies

    public static let machineKinds = Vocabulary([
        "listening_agent", "polling_agent", "offline_package_drop", "cloud_web_app", "cloud_service",
        "kubernetes", "ssh", "cloud_region",
    ])
    public static let stepTypes = Vocabulary([
        "script", "package", "iis", "windows_service", "kubernetes", "helm", "terraform",
        "cloud_template", "docker", "email", "manual_intervention", "health_check", "sql", "other",
    ])
    public static let communityStepTypes = Vocabulary([
        "chat_notification", "file_cleanup", "sql_script", "http_check", "app_pool_control",
        "service_control", "git_operation", "load_balancer", "cdn_purge", "other",
    ])
    public static let cloudProviders = Vocabulary(["azure", "aws"])
    public static let issueTrackers = Vocabulary(["jira", "github", "azure_devops"])
    public static let operatingSystems = Vocabulary([
        "debian", "ubuntu", "rhel", "centos", "rocky", "almalinux", "ol", "fedora", "amzn", "sles",
        "opensuse-leap", "alpine", "arch", "windows", "macos", "other",
    ])
    public static let targetOperatingSystems = Vocabulary(["windows", "linux", "macos", "other"])
    public static let architectures = Vocabulary(["x86_64", "x86", "aarch64", "arm", "ppc64le", "s390x", "riscv64", "other"])
    public static let stepOptions = Vocabulary([
        "run_condition", "required", "parallel", "environment_scoped", "channel_scoped", "tenant_scoped",
        "run_on_server", "retries", "timeout", "container_image",
    ])
    public static let databaseCallTypes = Vocabulary(["read", "insert", "update", "delete", "transaction"])
    public static let apiResults = Vocabulary(["success", "redirect", "client_error", "server_error", "timeout"])
    public static let internalEvents = Vocabulary([
        "deprecated_api", "deprecated_step", "deprecated_variable_syntax", "unhandled_error",
        "task_failed", "retention_failed", "health_check_failed",
    ])
    public static let configExtensions = Vocabulary(["json", "yaml", "xml", "properties", "ini", "other"])
}
