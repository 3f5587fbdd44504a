import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird
import NIOPosix

/// Streams a request body to a temporary file in the storage directory,
/// never holding it in memory, and refuses bodies over the size limit (413).
struct UploadReceiver: Sendable {
    let files: BlobFiles
    let maxBytes: Int64
    let fileIO = FileIO()

    /// A body on disk, not yet in place.
    struct Upload: Sendable {
        var path: String
        var size: Int64
    }

    func receive(_ request: Request, context: some RequestContext) async throws -> Upload {
        if let declared = request.headers[.contentLength].flatMap({ Int64($0) }), declared > maxBytes {
            throw tooLarge()
        }
        let path: String
        do {
            path = try files.temporaryFile()
        } catch {
            throw APIError.unavailable("the storage directory is not writable: \(error.message)")
        }
        do {
            try await fileIO.writeFile(contents: LimitedBody(base: request.body, limit: maxBytes), path: path, context: context)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            return Upload(path: path, size: size)
        } catch is UploadTooLarge {
            files.removeTemporary(path)
            throw tooLarge()
        } catch {
            files.removeTemporary(path)
            context.logger.warning("upload not received", metadata: ["error": "\(error)"])
            throw APIError(.badRequest, "the upload did not arrive completely; send it again")
        }
    }

    /// Flushes the upload and moves it into place, off the concurrency pool (fsync blocks).
    func install(_ upload: Upload, as name: String) async throws {
        let files = self.files
        do {
            try await NIOThreadPool.singleton.runIfActive { try files.install(upload.path, as: name) }
        } catch {
            files.removeTemporary(upload.path)
            throw APIError.unavailable("the upload could not be stored: \(error)")
        }
    }

    /// Removes blobs that a replacement made obsolete (after the database no longer names them).
    func discard(_ names: [String]) async {
        let files = self.files
        guard !names.isEmpty else { return }
        _ = try? await NIOThreadPool.singleton.runIfActive { for name in names { files.remove(name) } }
    }

    func tooLarge() -> APIError {
        APIError(.contentTooLarge,
                 "the upload is larger than \(maxBytes) bytes (GYRE_STORAGE_MAX_UPLOAD_BYTES); store less or raise the limit")
    }
}

struct UploadTooLarge: Error {}

/// A request body that fails once more than `limit` bytes have come.
struct LimitedBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let limit: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int64
        var count: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            count += Int64(buffer.readableBytes)
            if count > limit { throw UploadTooLarge() }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }
}
