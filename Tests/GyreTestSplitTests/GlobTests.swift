import Foundation
import GyreTestSplit
import Testing

struct GlobPatternTests {
    @Test func starStaysInOneSegment() {
        let pattern = GlobPattern("src/*.js")
        #expect(pattern.matches("src/a.js"))
        #expect(!pattern.matches("src/sub/a.js"))
        #expect(!pattern.matches("src/a.ts"))
    }

    @Test func doubleStarCrossesSegmentsIncludingNone() {
        let pattern = GlobPattern("src/**/*_test.go")
        #expect(pattern.matches("src/a_test.go"))
        #expect(pattern.matches("src/x/y/z_test.go"))
        #expect(!pattern.matches("lib/a_test.go"))
        #expect(GlobPattern("**/*.rb").matches("spec/models/user_spec.rb"))
        #expect(GlobPattern("**").matches("a/b/c"))
    }

    @Test func questionMarkClassesAndBraces() {
        #expect(GlobPattern("t?.py").matches("t1.py"))
        #expect(!GlobPattern("t?.py").matches("t12.py"))
        #expect(GlobPattern("t[0-9].py").matches("t7.py"))
        #expect(!GlobPattern("t[!0-9].py").matches("t7.py"))
        #expect(GlobPattern("t[!0-9].py").matches("tx.py"))
        #expect(GlobPattern("src/**/*.{js,ts}").matches("src/a/b.ts"))
        #expect(GlobPattern("src/**/*.{js,ts}").matches("src/b.js"))
        #expect(!GlobPattern("src/**/*.{js,ts}").matches("src/b.rb"))
    }

    @Test func leadingDotSlashIsIgnored() {
        #expect(GlobPattern("./spec/*.rb").matches("spec/a.rb"))
        #expect(GlobPattern("spec/*.rb").matches("./spec/a.rb"))
    }

    @Test func rootsStopAtTheFirstWildcard() {
        #expect(GlobPattern("src/app/**/*.js").roots == ["src/app"])
        #expect(GlobPattern("**/*.js").roots == ["."])
        #expect(GlobPattern("/tmp/x/*.txt").roots == ["/tmp/x"])
        #expect(GlobPattern("{a,b}/*.txt").roots == ["a", "b"])
    }
}

struct GlobFilesTests {
    /// A scratch tree; returns its root.
    func tree(_ files: [String]) throws -> String {
        let root = NSTemporaryDirectory() + "gyre-glob-\(UUID().uuidString)"
        for file in files {
            let path = "\(root)/\(file)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data(file.utf8))
        }
        return root
    }

    @Test func findsFilesSortedAndOnce() throws {
        let root = try tree(["spec/b_spec.rb", "spec/a_spec.rb", "spec/models/c_spec.rb", "spec/helper.rb", "lib/x.rb"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let found = Glob.files(matching: ["\(root)/spec/**/*_spec.rb", "\(root)/spec/a_spec.rb"])
        #expect(found == ["\(root)/spec/a_spec.rb", "\(root)/spec/b_spec.rb", "\(root)/spec/models/c_spec.rb"])
    }

    @Test func relativePatternsSearchTheCurrentDirectory() throws {
        let root = try tree(["t/one.py", "t/deep/two.py", "t/three.txt"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(root)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        #expect(Glob.files(matching: ["**/*.py"]) == ["t/deep/two.py", "t/one.py"])
        #expect(Glob.files(matching: ["t/three.txt"]) == ["t/three.txt"])
        #expect(Glob.files(matching: ["nothing/*.py"]) == [])
    }
}
