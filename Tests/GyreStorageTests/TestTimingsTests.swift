import GyreStore
import Testing

@Suite struct TestTimingsTests {
    @Test func sumsPerFileClassnameAndName() {
        let timings = TestTimings(latest: [
            (classname: "A", name: "t1", file: "a_test.rb", runTime: 1.5),
            (classname: "A", name: "t2", file: "a_test.rb", runTime: 2),
            (classname: "B", name: "t1", file: "", runTime: 4),
        ])
        #expect(timings.files == ["a_test.rb": 3.5])
        #expect(timings.classnames == ["A": 3.5, "B": 4])
        #expect(timings.names == ["t1": 5.5, "t2": 2])
    }

    @Test func nothingRecordedGivesEmptyMaps() {
        #expect(TestTimings(latest: []) == TestTimings())
    }

    @Test(arguments: [("rspec/results.xml", "rspec"), ("results.xml", "unknown"), ("jest/unit/out.xml", "jest")])
    func theSourceIsTheReportsDirectory(report: String, source: String) {
        let record = TestResultRecord(node: 0, report: report, classname: "c", name: "n", file: "", result: "success",
                                      runTime: 0, message: nil)
        #expect(record.source == source)
    }
}
