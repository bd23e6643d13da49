import Foundation
import Testing

@testable import Reconciler

/// The file of fixed-size records where a process notes the process groups of its runs.
@Suite("Process group journal")
struct GroupJournalTests {
    private func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.path + "/groups-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func recordsAreReadBackAndSlotsOfEndedRunsAreReused() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let owner = Owner(host: "host-a", pid: 12, startTime: "345")
        let journal = GroupJournal(directory: directory, owner: owner)
        let first = try #require(journal.record(runID: "20261204T100000-aaaaaaaa", group: 1001))
        let second = try #require(journal.record(runID: "20261204T100000-bbbbbbbb", group: 1002))
        journal.release(first)
        let third = try #require(journal.record(runID: "20261204T100001-cccccccc", group: 99))
        #expect(third == first, "the slot of an ended run is reused")
        #expect(second != first)
        #expect(
            GroupJournal.groups(directory: directory, owner: owner) == [
                "20261204T100000-bbbbbbbb": 1002, "20261204T100001-cccccccc": 99,
            ],
            "a shorter record overwrites a longer one entirely"
        )
    }

    @Test func aJournalGoesWithItsProcessOrWithTheRecoveryOfItsRuns() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dead = Owner(host: Owner.current.host, pid: Int32.max - 1, startTime: "1")
        var deadJournal: GroupJournal? = GroupJournal(directory: directory, owner: dead)
        _ = deadJournal?.record(runID: "run-of-the-dead", group: 7)
        let live = GroupJournal(directory: directory, owner: .current)
        let running = try #require(live.record(runID: "run-going-on", group: 8))
        // The dead one still had a run going on when it ended: its journal stays for recovery.
        deadJournal = nil
        #expect(GroupJournal.groups(directory: directory, owner: dead) == ["run-of-the-dead": 7])
        GroupJournal.removeDead(directory: directory)
        #expect(GroupJournal.groups(directory: directory, owner: dead).isEmpty, "removed once recovered")
        #expect(GroupJournal.groups(directory: directory, owner: .current) == ["run-going-on": 8], "a live one stays")
        live.release(running)
    }

    @Test func aProcessWhoseRunsAllEndedLeavesNoJournal() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let owner = Owner(host: "h", pid: 1, startTime: "2")
        var journal: GroupJournal? = GroupJournal(directory: directory, owner: owner)
        let slot = try #require(journal?.record(runID: "r", group: 3))
        journal?.release(slot)
        journal = nil
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
