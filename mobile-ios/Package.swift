// swift-tools-version:5.9
// The SiMO core for iOS: the generated UniFFI Swift bindings (Sources/SimoCore/generated,
// made by scripts/bindings.sh), the Rust library as an xcframework (made on a Mac by
// scripts/build-xcframework.sh) and a thin SwiftUI shell (SimoUI) used by App/.
import PackageDescription

let package = Package(
    name: "SimoCore",
    defaultLocalization: "ru",
    platforms: [.iOS(.v16), .macOS(.v13)], // NavigationStack
    products: [
        .library(name: "SimoCore", targets: ["SimoCore"]),
        .library(name: "SimoUI", targets: ["SimoUI"]),
    ],
    targets: [
        // libsimo_core.a for device and simulator, with SimoCoreFFI.h and module.modulemap.
        .binaryTarget(name: "SimoCoreFFI", path: "SimoCoreFFI.xcframework"),
        .target(
            name: "SimoCore",
            dependencies: ["SimoCoreFFI"],
            path: "Sources/SimoCore",
            resources: [.process("Resources")]
        ),
        .target(
            name: "SimoUI",
            dependencies: ["SimoCore"],
            path: "Sources/SimoUI",
            resources: [.process("Resources")]
        ),
        .testTarget(
            name: "SimoCoreTests",
            dependencies: ["SimoCore"],
            path: "Tests/SimoCoreTests"
        ),
    ]
)
