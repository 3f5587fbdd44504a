@testable import GyreConfig
import GyreModel
import Testing

@Suite("YAML anchors and merge keys")
struct AnchorTests {
    @Test func redefinedAnchorsAreAcceptedAndTheLaterDefinitionWins() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            references:
              image: &image {image: "alpine:1"}
              later: &image {image: "alpine:2"}
              env: &env {A: "1", B: "1"}
            jobs:
              build:
                docker: [*image]
                environment:
                  <<: *env
                  B: "2"
                steps: [checkout]
            """))
        let job = try #require(singleJob(plan))
        #expect(job.executor == .docker(images: [DockerImagePlan(image: "alpine:2")]))
        #expect(job.environment == [EnvVar("A", "1"), EnvVar("B", "2")])
    }

    @Test func severalMergeKeysInOneMappingActAsAListOfThem() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            references:
              a: &a {A: "from-a", SHARED: "a"}
              b: &b {B: "from-b", SHARED: "b"}
            jobs:
              build:
                docker: [{image: alpine}]
                environment:
                  <<: *a
                  <<: *b
                  OWN: "own"
                steps: [checkout]
            """)))
        // As `<<: [*a, *b]`: the earlier source wins a key both define; the mapping's own keys win over both.
        #expect(job.environment == [EnvVar("A", "from-a"), EnvVar("SHARED", "a"), EnvVar("B", "from-b"), EnvVar("OWN", "own")])
    }

    @Test func anchorsBeforeARedefinitionKeepTheirValue() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            a: &img {image: first}
            jobs:
              build:
                docker: [*img]
                steps: [checkout]
            b: &img {image: second}
            """)))
        #expect(job.executor == .docker(images: [DockerImagePlan(image: "first")]))
    }
}

@Suite struct MergeKeyLinesTests {
    @Test func repeatedMergeKeysOfOneMappingBecomeOneList() {
        let yaml = """
            a:
              <<: *x
              k: v
              <<: *y   # comment
            b:
              - <<: *p
                <<: *q
              - <<: *r
            c:
              <<: *z
            """
        #expect(MergeKeyLines.combine(yaml) == """
            a:
              <<: [*x, *y]
              k: v

            b:
              - <<: [*p, *q]

              - <<: *r
            c:
              <<: *z
            """)
    }

    @Test func onlyPlainAliasLinesAreRead() {
        #expect(MergeKeyLines.match("  <<: *a") ?? (0, "") == (2, "*a"))
        #expect(MergeKeyLines.match("  - <<: *a # c") ?? (0, "") == (4, "*a"))
        #expect(MergeKeyLines.match("  <<: [*a, *b]") == nil)
        #expect(MergeKeyLines.match("  <<: {k: v}") == nil)
        #expect(MergeKeyLines.match("  run: cat <<: *a") == nil)
    }
}
