// swift-tools-version:6.2
import PackageDescription

// Forum: an app that is not one of the seeds, built on the framework's public API only.
//   Forum       the catalog (module `forum` on the framework's `core` and `auth`) and the typed client
//   forum       the app's command line (generate, migrate, status, …): ten lines
//   ForumTests  against a throwaway PostgreSQL, migrated from the committed sql/

let package = Package(
    name: "Forum",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Forum", targets: ["Forum"]),
        .executable(name: "forum", targets: ["ForumCommand"]),
    ],
    dependencies: [
        // A path dependency is named by its folder unless given a name; the folder is the
        // checkout's, so name it.
        .package(name: "Invariants", path: "../.."),
        // The tests run the app's CLI as a subprocess (Foundation's Process is unreliable here).
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
    ],
    targets: [
        .target(
            name: "Forum",
            dependencies: [
                .product(name: "InvariantsSchema", package: "Invariants"),
                .product(name: "Invariants", package: "Invariants"),
            ]
        ),
        .executableTarget(
            name: "ForumCommand",
            dependencies: [
                "Forum",
                .product(name: "InvariantsCLI", package: "Invariants"),
            ],
            path: "Sources/forum"
        ),
        .testTarget(
            name: "ForumTests",
            dependencies: [
                "Forum",
                .product(name: "Invariants", package: "Invariants"),
                .product(name: "InvariantsSchema", package: "Invariants"),
                .product(name: "InvariantsMigrator", package: "Invariants"),
                .product(name: "InvariantsTesting", package: "Invariants"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
    ]
)
