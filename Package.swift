// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Orchestrator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "orchestrator", targets: ["orchestrator"]),
        .executable(name: "orchestrator-shim", targets: ["orchestrator-shim"]),
        .executable(name: "default-etl", targets: ["default-etl"]),
        .library(name: "Model", targets: ["Model"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "YAML", dependencies: ["CYAML"]),
        // posix_spawn with the file actions and attributes a run needs, pidfd_open and eventfd:
        // what Swift cannot call directly (variadic syscall(2), glibc's _np extensions).
        .target(name: "CProcess"),
        .target(name: "Model", dependencies: ["YAML"]),
        .target(
            name: "Reconciler",
            dependencies: [
                "Model",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                "CProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "HTTPServer",
            dependencies: [
                "Reconciler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The web console and its JSON API, mounted on the daemon's HTTP server.
        .target(
            name: "WebConsole",
            dependencies: [
                "Reconciler",
                "HTTPServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // A static executable with no C library and no Swift runtime (main.c says why): SwiftPM links
        // the Swift runtime even into C programs; `-nostartfiles` leaves out its startup object and
        // `-nostdlib` the C library, so only the shim's own code is linked (14 KB; 9.4 MB with the
        // runtime, 0.8 MB with a static glibc). Freestanding C: no stack protector, which needs the
        // C library's thread setup.
        .executableTarget(
            name: "orchestrator-shim",
            cSettings: [.unsafeFlags(["-ffreestanding", "-fno-stack-protector", "-fno-builtin"])],
            linkerSettings: [
                .unsafeFlags(["-static-executable", "-nostartfiles", "-Xclang-linker", "-nostdlib", "-use-ld=lld"])
            ]
        ),
        .target(
            name: "ETL",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // A progress line for people at a terminal, shared by the executables.
        .target(name: "ProgressDisplay"),
        .executableTarget(
            name: "default-etl",
            dependencies: [
                "ETL", "ProgressDisplay", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "orchestrator",
            dependencies: [
                "Model",
                "Reconciler",
                "HTTPServer",
                "ProgressDisplay",
                "orchestrator-shim",
                "WebConsole",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Fuzzes each parser: built with libFuzzer by scripts/fuzz.sh, a corpus replayer otherwise.
        .executableTarget(
            name: "orchestrator-fuzz",
            dependencies: ["Model", "YAML", "ETL", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // What several test targets share: running a command on a pseudo-terminal.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "YAML"]),
        .testTarget(
            name: "ReconcilerTests",
            dependencies: [
                "Reconciler", "Model", "orchestrator-shim", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ETLTests",
            dependencies: [
                "ETL", "default-etl", "ProgressDisplay", "TestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(name: "OrchestratorTests", dependencies: ["orchestrator", "orchestrator-shim", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
