import Foundation
import Testing

@testable import Reconciler

@Suite("Folders made once")
struct MadeFoldersTests {
    @Test func aFolderRemovedAfterItWasMadeIsMadeAgainPrivate() throws {
        let root = FileManager.default.temporaryDirectory.path + "/made-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folders = MadeFolders()
        try folders.make(root + "/logs/p")
        try FileManager.default.removeItem(atPath: root + "/logs/p")
        try folders.make(root + "/logs/p")
        try FileManager.default.removeItem(atPath: root + "/logs")
        try folders.make(root + "/logs/p")
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/logs/p")[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}
