import GyreStore
import Logging

extension APIError {
    /// Runs a database call for a handler: an `APIError` passes through, any
    /// other failure becomes 503 with a message a person can act on (logged
    /// with its reason when a logger is given, never answered with SQL).
    public static func guardingDatabase<T>(logger: Logger? = nil, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIError {
            throw error
        } catch let error as StoreError where error.code == .conflict {
            throw APIError(.conflict, error.message)
        } catch let error as StoreError where error.code == .notFound {
            throw APIError(.notFound, error.message)
        } catch let error as StoreError where error.code == .noKey {
            throw APIError.unavailable(error.message + "; the operator sets it on this service (see README, Secrets)")
        } catch {
            logger?.error("database call failed", metadata: ["error": "\(StoreError.reason(error))"])
            throw APIError.unavailable("the database is not reachable right now; try again shortly")
        }
    }
}
