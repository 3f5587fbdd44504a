// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// A library under Shared/<name>.
func shared(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: deps, path: "Shared/\(name)", swiftSettings: swiftSettings)
}

/// A thin executable under Services/<dir>.
func service(_ dir: String, _ lib: String) -> Target {
    .executableTarget(name: dir, dependencies: [.byName(name: lib), "GyreServiceKit"],
                      path: "Services/\(dir)", swiftSettings: swiftSettings)
}

let hb = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hbCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let pg = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prom = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let argp = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
// scrypt for local passwords (swift-crypto's CryptoExtras).
let cryptoExtras = Target.Dependency.product(name: "CryptoExtras", package: "swift-crypto")
let websocket = Target.Dependency.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")

let serviceNames: [(dir: String, lib: String)] = [
    ("frontend", "FrontendService"),
    ("dispatcher", "DispatcherService"),
    ("picard-scheduler", "SchedulerService"),
    ("output-processor", "OutputProcessorService"),
    ("contexts", "ContextsService"),
    ("domain", "DomainService"),
    ("permissions", "PermissionsService"),
    ("audit-log", "AuditLogService"),
    ("vm-service", "VMService"),
    ("build-agent", "BuildAgentService"),
    ("ready-agent", "ReadyAgentService"),
]

let package = Package(
    name: "gyre",
    platforms: [.macOS(.v15)],
    products: serviceNames.map { .executable(name: $0.dir, targets: [$0.dir]) }
        + [.executable(name: "gyre", targets: ["gyre"])],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // Already built for postgres-nio (SCRAM); used for webhook HMACs and SSH key fingerprints.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        // Live job pages: the frontend's WebSocket endpoint.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.0.0"),
    ],
    targets: [
        // C libraries and the non-variadic shims Swift can call.
        .systemLibrary(name: "CRabbitMQ", path: "Shared/CRabbitMQ", pkgConfig: "librabbitmq",
                       providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CHiredis", path: "Shared/CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        // OpenLDAP's client library, for LDAP sign-in.
        .systemLibrary(name: "CLDAP", path: "Shared/CLDAP", pkgConfig: "ldap",
                       providers: [.apt(["libldap-dev"])]),
        .target(name: "CGyreShims", dependencies: ["CRabbitMQ", "CHiredis"], path: "Shared/CGyreShims"),
        .target(name: "CGyreSystem", path: "Shared/CGyreSystem"),

        // Bottom layer: types without I/O.
        shared("GyreModel", []),
        shared("GyreProtocol", ["GyreModel"]),
        shared("GyreConfig", ["GyreModel", yams]),

        // Adapters.
        shared("GyreURL", []),
        shared("GyreAMQP", ["CRabbitMQ", "CGyreShims", "GyreURL", log]),
        shared("GyreRedis", ["CHiredis", "CGyreShims", "GyreURL", log]),
        // AES-256-GCM sealing of secrets and data keys (no I/O).
        shared("GyreSecrets", [crypto]),
        // Masking of secret values in job output (no dependencies; the build agent and the benchmark).
        shared("GyreMasking", []),
        shared("GyreStore", ["GyreModel", "GyreProtocol", "GyreSecrets", pg, log, crypto]),
        // Local passwords (scrypt): only the frontend and the CLI link it.
        shared("GyrePasswords", [crypto, cryptoExtras]),
        shared("GyreProcess", ["CGyreSystem", log]),
        shared("GyreGit", ["GyreProcess"]),
        shared("GyreDocker", ["GyreProcess"]),
        // LDAP sign-in (libldap, one handle per call, off the cooperative pool).
        shared("GyreLDAP", ["CLDAP"]),
        // JUnit XML reports (FoundationXML stays out of the other modules).
        shared("GyreJUnit", []),

        // Service runtime: env config, health, metrics, HTTP, outbox relay, consumers.
        shared("GyreServiceKit", ["GyreModel", "GyreProtocol", "GyreStore", "GyreSecrets", "GyreAMQP", "GyreRedis",
                                  hb, hbCore, lifecycle, log, metrics, prom, pg]),

        // Service logic, one library per service.
        shared("FrontendService", ["GyreServiceKit", "GyreStore", "GyreRedis", "GyreProtocol", "GyreConfig", "GyreLDAP",
                                   "GyrePasswords", hb, crypto, websocket]),
        shared("DispatcherService", ["GyreServiceKit", "GyreConfig", "GyreGit", "GyreStore"]),
        shared("SchedulerService", ["GyreServiceKit", "GyreStore", "GyreModel"]),
        shared("OutputProcessorService", ["GyreServiceKit", "GyreStore", "GyreRedis", "GyreJUnit", hb]),
        shared("BuildAgentService", ["GyreServiceKit", "GyreGit", "GyreDocker", "GyreProcess", "GyreTestSplit", "GyreMasking", hb]),
        shared("ReadyAgentService", ["GyreServiceKit", hb]),
        shared("ContextsService", ["GyreServiceKit", "GyreStore", "GyreModel", hb]),
        shared("DomainService", ["GyreServiceKit", "GyreStore", "GyreModel", hb]),
        shared("PermissionsService", ["GyreServiceKit", "GyreStore", "GyreModel", hb]),
        shared("AuditLogService", ["GyreServiceKit", "GyreStore", "GyreProtocol", "GyreModel", "GyreAMQP", metrics]),
        shared("VMService", ["GyreServiceKit", "GyreDocker"]),

        // Local launcher and API client used by the CLI, the benchmark and the tests.
        shared("GyreLocal", ["GyreProcess", "GyreModel", log]),

        // The in-job `circleci` command (tests glob/split): Glibc only, static Swift runtime.
        shared("GyreTestSplit", []),
        .executableTarget(name: "circleci", dependencies: ["GyreTestSplit"], path: "Services/circleci",
                          swiftSettings: swiftSettings, linkerSettings: [.unsafeFlags(["-static-stdlib"])]),

        .executableTarget(name: "gyre", dependencies: ["GyreLocal", "GyreConfig", "GyreModel", "GyreStore", "GyreRedis",
                                                       "GyrePasswords", "GyreSecrets", "GyreMasking", argp],
                          path: "Services/gyre", swiftSettings: swiftSettings),

        .testTarget(name: "BuildAgentStepTests", dependencies: ["BuildAgentService", "GyreModel"],
                    path: "Tests/BuildAgentStepTests", swiftSettings: swiftSettings),
        .testTarget(name: "GyreTestSplitTests", dependencies: ["GyreTestSplit"], path: "Tests/GyreTestSplitTests",
                    swiftSettings: swiftSettings),
        .testTarget(name: "GyreLDAPTests", dependencies: ["GyreLDAP"], path: "Tests/GyreLDAPTests",
                    swiftSettings: swiftSettings),
        .testTarget(name: "GyreSecretsTests", dependencies: ["GyreSecrets", crypto], path: "Tests/GyreSecretsTests",
                    swiftSettings: swiftSettings),
        .testTarget(name: "GyreMaskingTests", dependencies: ["GyreMasking"], path: "Tests/GyreMaskingTests",
                    swiftSettings: swiftSettings),
        .testTarget(name: "GyreModelTests", dependencies: ["GyreModel"], path: "Tests/GyreModelTests",
                    swiftSettings: swiftSettings),
        .testTarget(name: "GyreConfigTests", dependencies: ["GyreConfig", "GyreModel"],
                    path: "Tests/GyreConfigTests", swiftSettings: swiftSettings),
        .testTarget(name: "GyreAdapterTests", dependencies: ["GyreAMQP", "GyreRedis"],
                    path: "Tests/GyreAdapterTests", swiftSettings: swiftSettings),
        .testTarget(name: "GyreTriggerTests", dependencies: ["FrontendService", "DispatcherService", "GyreModel", "GyreRedis",
                                                         "GyrePasswords"],
                    path: "Tests/GyreTriggerTests", swiftSettings: swiftSettings),
        .testTarget(name: "GyreStorageTests", dependencies: ["GyreJUnit", "GyreStore", "OutputProcessorService"],
                    path: "Tests/GyreStorageTests", swiftSettings: swiftSettings),
        .testTarget(name: "BuildAgentTests", dependencies: ["BuildAgentService", "GyreDocker", "GyreProtocol"],
                    path: "Tests/BuildAgentTests", swiftSettings: swiftSettings),
        .testTarget(name: "GyreSystemTests", dependencies: ["GyreLocal", "GyreModel", "GyreProcess"],
                    path: "Tests/GyreSystemTests", swiftSettings: swiftSettings),
    ] + serviceNames.map { service($0.dir, $0.lib) }
)
