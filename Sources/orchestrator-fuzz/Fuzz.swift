import Foundation

/// `orchestrator-fuzz TARGET [libFuzzer options] [CORPUS…]` fuzzes one parser; see
/// `scripts/fuzz.sh`, which builds it with libFuzzer (`-sanitize=fuzzer`, `-DFUZZING`) in a
/// scratch folder of its own and runs every target for a bounded time.
///
/// Built without libFuzzer (the normal build), it replays files instead:
/// `orchestrator-fuzz TARGET FILE…` runs each file once, so that a saved crash reproduces in
/// a debugger and the seed corpus stays a regression test.
@main
struct Fuzz {
    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(
                Data("usage: orchestrator-fuzz TARGET [options] [CORPUS…]; targets: \(names)\n".utf8)
            )
            exit(64)
        }
        arguments.remove(at: 1)
        #if FUZZING
        exit(LibFuzzer.run(arguments, target))
        #else
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
            }
        }
        #endif
    }

    /// A file, or the files of a folder.
    private static func files(at path: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [path] }
        return names.sorted().map { path + "/" + $0 }
    }
}

#if FUZZING
/// libFuzzer's driver, called with the arguments minus the target's name.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

enum LibFuzzer {
    /// The target the C callback runs: set once, before the driver starts calling.
    nonisolated(unsafe) static var target = FuzzTarget.manifest

    static func run(_ arguments: [String], _ target: FuzzTarget) -> CInt {
        self.target = target
        var argc = CInt(arguments.count)
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv = buffer.baseAddress!
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                LibFuzzer.target.run(UnsafeBufferPointer(start: data, count: size))
                return 0
            }
        }
    }
}
#endif
