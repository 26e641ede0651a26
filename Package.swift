// swift-tools-version:6.2
import PackageDescription

// One direction: declaration → SQL → database → client.
//   InvariantsSchema   declarations and the pure renderer (no I/O)
//   InvariantsCatalog  the seed apps declared with it
//   Invariants         the client core apps link (PostgresNIO)
//   InvariantsMigrator ledger, apply, plan, status
//   InvariantsTesting  throwaway PostgreSQL for tests (like HummingbirdTesting)
//   invariants         the CLI

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Invariants",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Invariants", targets: ["Invariants"]),
        .library(name: "InvariantsSchema", targets: ["InvariantsSchema"]),
        .library(name: "InvariantsCatalog", targets: ["InvariantsCatalog"]),
        .library(name: "InvariantsMigrator", targets: ["InvariantsMigrator"]),
        .library(name: "InvariantsTesting", targets: ["InvariantsTesting"]),
        .executable(name: "invariants", targets: ["InvariantsCommand"]),
        .executable(name: "InvariantsBench", targets: ["InvariantsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
    ],
    targets: [
        .target(
            name: "InvariantsSchema",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "InvariantsCatalog",
            dependencies: ["InvariantsSchema"],
            swiftSettings: strict
        ),
        .target(
            name: "Invariants",
            dependencies: [
                "InvariantsSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
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
        .executableTarget(
            name: "InvariantsCommand",
            dependencies: [
                "InvariantsSchema", "InvariantsCatalog", "Invariants", "InvariantsMigrator", "InvariantsTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "InvariantsBench",
            dependencies: [
                "InvariantsSchema", "InvariantsCatalog", "Invariants", "InvariantsMigrator", "InvariantsTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsSchemaTests",
            dependencies: [
                "InvariantsSchema", "InvariantsCatalog", "InvariantsTesting",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
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
                "Invariants", "InvariantsTesting", "InvariantsMigrator", "InvariantsCatalog", "InvariantsSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsTortureTests",
            dependencies: [
                "Invariants", "InvariantsTesting", "InvariantsMigrator", "InvariantsCatalog", "InvariantsSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InvariantsMigratorTests",
            dependencies: [
                "InvariantsMigrator", "InvariantsSchema", "InvariantsCatalog", "Invariants", "InvariantsTesting",
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
    ]
)
