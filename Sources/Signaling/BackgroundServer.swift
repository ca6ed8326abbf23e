import Hummingbird
import NIOCore
import Synchronization

/// A Hummingbird application running in a task of its own, with the port it bound (so a
/// caller can listen on port 0 and learn the port), stopped by cancelling the task.
package final class BackgroundServer: Sendable {
    package let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// Starts the application `make` builds; `make` receives the callback to pass as the
    /// application's `onServerRunning`. Returns once the socket is bound, or throws the
    /// error that kept it from binding.
    package static func start<App: ApplicationProtocol & Sendable>(
        _ make: (@escaping @Sendable (any Channel) async -> Void) -> App
    ) async throws -> BackgroundServer {
        let bound = Mailbox<Int>()
        let app = make { channel in bound.put(channel.localAddress?.port ?? 0) }
        let task = Task<Void, any Error> {
            do {
                try await app.run()
                bound.fail(SignalingError.connectionClosed("the server stopped before it listened"))
            } catch {
                bound.fail(error)
                throw error
            }
        }
        do {
            let port = try await bound.receive()
            return BackgroundServer(port: port, task: task)
        } catch {
            task.cancel()
            throw error
        }
    }

    /// Stops the server and waits until it has stopped.
    package func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// Waits until the server stops by itself (or fails).
    package func wait() async throws {
        try await task.value
    }
}
