// swift-tools-version:6.2
import PackageDescription

// Framework → apps; declaration → SQL → database → client.
//
// Framework (Sources/, products others depend on):
//   InvariantsVocabulary  what the renderer and the client both need: error codes, request roles
//   InvariantsSchema      declarations, the invariant kinds, the pure renderer; the framework's
//                         own modules `core` and `auth`
//   Invariants            the client core apps link (PostgresNIO): connect, transactions,
//                         acting as a user, typed errors, notifications
//   InvariantsTypedCalls  typed calls derived from declared functions (InvariantsSchema +
//                         Invariants, so the client core stays free of the declaration layer)
//   InvariantsMigrator    plan once then execute, the module ledger, status, verify, lint
//   InvariantsTesting     throwaway PostgreSQL for tests (like HummingbirdTesting)
//   InvariantsCLI         every command, given a catalog: an app's CLI is ten lines
//
// Apps (Apps/<App>/Sources + Apps/<App>/Tests): the five seed apps, each a module of the
// bundled catalog with its declarations, typed client, fixtures and tests side by side.
//   SeedApps              the bundled catalog (core, auth and the five apps)
//   invariants            the CLI library with the five apps, plus the demo and seed 004's
//                         counter commands
// Examples/Forum is an app that is not a seed, in its own package, on public API only.

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// One seed app: its declarations and typed client in Apps/<name>/Sources, its tests in
/// Apps/<name>/Tests.
func app(_ name: String) -> [Target] {
    [
        .target(
            name: name,
            dependencies: [
                "InvariantsSchema", "Invariants", "InvariantsTypedCalls",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Apps/\(name)/Sources",
            swiftSettings: strict
        ),
        .testTarget(
            name: name + "Tests",
            dependencies: [
                .target(name: name), "SeedAppsTesting", "SeedApps", "Invariants", "InvariantsSchema", "InvariantsTypedCalls",
                "InvariantsMigrator",
                "InvariantsTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Apps/\(name)/Tests",
            swiftSettings: strict
        ),
    ]
}

let seedApps = ["ModelWorkRecord", "SupportChat", "Generations", "ChatLogs", "GigResponses"]

let package = Package(
    name: "Invariants",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "InvariantsVocabulary", targets: ["InvariantsVocabulary"]),
        .library(name: "InvariantsSchema", targets: ["InvariantsSchema"]),
        .library(name: "Invariants", targets: ["Invariants"]),
        .library(name: "InvariantsTypedCalls", targets: ["InvariantsTypedCalls"]),
        .library(name: "InvariantsMigrator", targets: ["InvariantsMigrator"]),
        .library(name: "InvariantsTesting", targets: ["InvariantsTesting"]),
        .library(name: "InvariantsCLI", targets: ["InvariantsCLI"]),
        .library(name: "SeedApps", targets: ["SeedApps"]),
        .executable(name: "invariants", targets: ["InvariantsCommand"]),
        .executable(name: "InvariantsBench", targets: ["InvariantsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    ],
    targets: [
        // MARK: Framework
        .target(name: "InvariantsVocabulary", swiftSettings: strict),
        .target(
            name: "InvariantsSchema",
            dependencies: ["InvariantsVocabulary", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "Invariants",
            dependencies: [
                "InvariantsVocabulary",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // verifying a Supabase access token before acting as its user (seed 003)
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InvariantsTypedCalls",
            dependencies: [
                "InvariantsSchema", "Invariants",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InvariantsMigrator",
            dependencies: [
                "InvariantsSchema", "Invariants",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InvariantsTesting",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InvariantsCLI",
            dependencies: [
                "InvariantsSchema", "Invariants", "InvariantsMigrator", "InvariantsTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: The seed apps and the bundled CLI
        .target(
            name: "SeedApps",
            dependencies: ["InvariantsSchema"] + seedApps.map { .target(name: $0) },
            path: "Apps/SeedApps/Sources",
            swiftSettings: strict
        ),
        .target(
            name: "SeedAppsTesting",
            dependencies: [
                "SeedApps", "Invariants", "InvariantsMigrator", "InvariantsSchema", "InvariantsTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Apps/SeedApps/Testing",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "InvariantsCommand",
            dependencies: [
                "InvariantsCLI", "SeedApps", "InvariantsSchema", "Invariants", "InvariantsMigrator", "InvariantsTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ] + seedApps.map { .target(name: $0) },
            path: "Apps/invariants",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "InvariantsBench",
            dependencies: [
                "InvariantsSchema", "InvariantsTypedCalls", "SeedApps", "Invariants", "InvariantsMigrator", "InvariantsTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ] + seedApps.map { .target(name: $0) },
            swiftSettings: strict
        ),

        // MARK: Framework tests (and the seed apps together)
        .testTarget(
            name: "InvariantsSchemaTests",
            dependencies: [
                "InvariantsSchema", "SeedApps", "InvariantsTesting",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ] + seedApps.map { .target(name: $0) },
            exclude: ["Golden"],  // expected SQL, read via #filePath, not bundled
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsTestingTests",
            dependencies: [
                "InvariantsTesting", "Invariants",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsTests",
            dependencies: [
                "Invariants", "InvariantsTesting", "InvariantsMigrator", "SeedApps", "SeedAppsTesting", "InvariantsSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),  // RSA keys generated in the tests
            ] + seedApps.map { .target(name: $0) },
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsTortureTests",
            dependencies: [
                "Invariants", "InvariantsTesting", "InvariantsMigrator", "SeedApps", "InvariantsSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ] + seedApps.map { .target(name: $0) },
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsMigratorTests",
            dependencies: [
                "InvariantsMigrator", "InvariantsSchema", "SeedApps", "Invariants", "InvariantsTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Releases"],  // the repeatable sets of releases 0.1 and 0.2, read via #filePath
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsCommandTests",
            dependencies: [
                "InvariantsTesting", "Invariants",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
    ] + seedApps.flatMap(app)
)
