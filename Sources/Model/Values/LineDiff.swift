/// A unified diff of two texts by lines, as `diff -u` prints it (without the file header): what
/// a pipeline's history shows between two versions.
public enum LineDiff {
    /// The hunks of lines that differ, with `context` unchanged lines around each; empty when the
    /// texts are equal.
    public static func unified(from old: String, to new: String, context: Int = 3) -> String {
        let before = lines(old)
        let after = lines(new)
        let difference = after.difference(from: before)
        guard !difference.isEmpty else { return "" }
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        // Walk both texts together: (kind, old index, new index) per output line.
        var rows: [(Character, String, Int, Int)] = []
        var i = 0
        var j = 0
        while i < before.count || j < after.count {
            if i < before.count, removed.contains(i) {
                rows.append(("-", before[i], i, j))
                i += 1
            } else if j < after.count, inserted.contains(j) {
                rows.append(("+", after[j], i, j))
                j += 1
            } else {
                rows.append((" ", before[i], i, j))
                i += 1
                j += 1
            }
        }
        let changed = rows.indices.filter { rows[$0].0 != " " }
        var output = ""
        var start = 0
        while start < changed.count {
            var end = start
            while end + 1 < changed.count, changed[end + 1] - changed[end] <= 2 * context + 1 { end += 1 }
            let low = max(0, changed[start] - context)
            let high = min(rows.count - 1, changed[end] + context)
            let slice = rows[low...high]
            let oldCount = slice.filter { $0.0 != "+" }.count
            let newCount = slice.filter { $0.0 != "-" }.count
            let oldStart = slice.first!.2 + (oldCount == 0 ? 0 : 1)
            let newStart = slice.first!.3 + (newCount == 0 ? 0 : 1)
            output += "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n"
            for row in slice { output += "\(row.0)\(row.1)\n" }
            start = end + 1
        }
        return output
    }

    private static func lines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") { parts.removeLast() }
        return parts
    }
}
