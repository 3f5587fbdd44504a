import GyreAMQP
import Synchronization
import Testing

/// Against the real broker at GYRE_TEST_AMQP_URL.
@Suite("AMQP against RabbitMQ")
struct AMQPIntegrationTests {
    @Test func publishesBatchWithConfirmsAndConsumesAll() async throws {
        let config = try TestEnv.amqpConfig()
        let queue = TestEnv.unique("batch")
        let topology = AMQPTopology(queues: [AMQPQueue(name: queue, durable: true)])
        let publisher = AMQPPublisher(config: config, topology: topology, logger: TestEnv.logger)
        defer { publisher.close() }

        let messages = (0..<200).map { i in
            AMQPOutgoingMessage(exchange: "", routingKey: queue, body: Array("body-\(i)-\u{0}-é".utf8),
                                messageId: "msg-\(i)", type: i % 2 == 0 ? "even" : nil)
        }
        try await publisher.publish(messages)

        let consumer = AMQPConsumer(config: config, topology: topology, queues: [queue], prefetch: 50,
                                    logger: TestEnv.logger)
        let received = try await collect(consumer, count: 200) { consumer.ack($0) }
        consumer.stop()
        await consumer.waitUntilStopped()

        #expect(received.count == 200)
        let byId = Dictionary(uniqueKeysWithValues: received.map { ($0.messageId ?? "", $0) })
        for i in 0..<200 {
            let d = try #require(byId["msg-\(i)"])
            #expect(d.body == Array("body-\(i)-\u{0}-é".utf8))
            #expect(d.queue == queue)
            #expect(d.type == (i % 2 == 0 ? "even" : nil))
            #expect(!d.redelivered)
        }
        // In order, as published.
        #expect(received.map(\.messageId) == messages.map(\.messageId))
        try await publisher.deleteQueue(queue)
    }

    @Test func unackedDeliveryIsRedeliveredToTheNextConsumer() async throws {
        let config = try TestEnv.amqpConfig()
        let queue = TestEnv.unique("redeliver")
        let topology = AMQPTopology(queues: [AMQPQueue(name: queue, durable: true)])
        let publisher = AMQPPublisher(config: config, topology: topology, logger: TestEnv.logger)
        defer { publisher.close() }
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: queue, body: [1, 2, 3],
                                                         messageId: "once")])

        let first = AMQPConsumer(config: config, topology: topology, queues: [queue], prefetch: 10,
                                 logger: TestEnv.logger)
        let got = try await collect(first, count: 1)
        #expect(got.first?.redelivered == false)
        first.stop() // never acked
        await first.waitUntilStopped()
        #expect(!first.isConnected)

        let second = AMQPConsumer(config: config, topology: topology, queues: [queue], prefetch: 10,
                                  logger: TestEnv.logger)
        let again = try await collect(second, count: 1) { second.ack($0) }
        #expect(again.first?.messageId == "once")
        #expect(again.first?.body == [1, 2, 3])
        #expect(again.first?.redelivered == true)
        // An ack for the first consumer's (closed) connection is dropped silently.
        first.ack(got[0])
        second.stop()
        await second.waitUntilStopped()
        try await publisher.deleteQueue(queue)
    }

    @Test func rejectWithoutRequeueDropsTheMessage() async throws {
        let config = try TestEnv.amqpConfig()
        let queue = TestEnv.unique("reject")
        let topology = AMQPTopology(queues: [AMQPQueue(name: queue, durable: true)])
        let publisher = AMQPPublisher(config: config, topology: topology, logger: TestEnv.logger)
        defer { publisher.close() }
        // prefetch 1: "B" cannot be delivered before "A" is settled, and a requeued "A"
        // would go back to the head of the queue, ahead of "B".
        let consumer = AMQPConsumer(config: config, topology: topology, queues: [queue], prefetch: 1,
                                    logger: TestEnv.logger)
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: queue, body: [0xA],
                                                         messageId: "A")])
        let a = try await collect(consumer, count: 1)
        #expect(a.first?.messageId == "A")
        consumer.reject(a[0], requeue: false)
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: queue, body: [0xB],
                                                         messageId: "B")])
        let b = try await collect(consumer, count: 1) { consumer.ack($0) }
        #expect(b.first?.messageId == "B")
        #expect(b.first?.redelivered == false)
        consumer.stop()
        await consumer.waitUntilStopped()

        // Requeue puts it back: reject "C" with requeue, it comes again as redelivered.
        let consumer2 = AMQPConsumer(config: config, topology: topology, queues: [queue], prefetch: 1,
                                     logger: TestEnv.logger)
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: queue, body: [0xC],
                                                         messageId: "C")])
        let c = try await collect(consumer2, count: 2) { d in
            if d.redelivered { consumer2.ack(d) } else { consumer2.reject(d, requeue: true) }
        }
        #expect(c.map(\.messageId) == ["C", "C"])
        #expect(c.map(\.redelivered) == [false, true])
        consumer2.stop()
        await consumer2.waitUntilStopped()
        try await publisher.deleteQueue(queue)
    }

    @Test func addQueueConsumesAnExclusiveQueueBoundToADirectExchange() async throws {
        let config = try TestEnv.amqpConfig()
        let exchange = TestEnv.unique("direct")
        let agentQueue = TestEnv.unique("agent")
        let routingKey = "agent.\(agentQueue)"
        let topology = AMQPTopology(exchanges: [AMQPExchange(name: exchange, type: "direct", durable: false)])
        let publisher = AMQPPublisher(config: config, topology: topology, logger: TestEnv.logger)
        defer { publisher.close() }
        let consumer = AMQPConsumer(config: config, topology: topology, queues: [], prefetch: 10,
                                    logger: TestEnv.logger)
        let stream = consumer.deliveries()
        _ = stream
        consumer.addQueue(AMQPQueue(name: agentQueue, durable: false, exclusive: true, autoDelete: true),
                          bindings: [AMQPBinding(queue: agentQueue, exchange: exchange, routingKey: routingKey)])

        // The queue is declared asynchronously: keep publishing until one arrives.
        let publishing = Task {
            var n = 0
            while !Task.isCancelled {
                try await publisher.publish([AMQPOutgoingMessage(exchange: exchange, routingKey: routingKey,
                                                                 body: Array("job".utf8), messageId: "job-\(n)",
                                                                 persistent: false)])
                n += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let got = try await collect(consumer, count: 1) { consumer.ack($0) }
        publishing.cancel()
        _ = await publishing.result
        #expect(got.first?.queue == agentQueue)
        #expect(got.first?.body == Array("job".utf8))
        #expect(got.first?.messageId?.hasPrefix("job-") == true)
        #expect(consumer.isConnected)
        consumer.stop()
        await consumer.waitUntilStopped()
        // The exclusive queue went away with the consumer's connection; clean up the exchange.
        try await publisher.deleteExchange(exchange)
    }

    @Test func publishingToARoutingKeyWithoutQueuesSucceeds() async throws {
        let config = try TestEnv.amqpConfig()
        let exchange = TestEnv.unique("nowhere")
        let topology = AMQPTopology(exchanges: [AMQPExchange(name: exchange, type: "topic", durable: false)])
        let publisher = AMQPPublisher(config: config, topology: topology, logger: TestEnv.logger)
        defer { publisher.close() }
        try await publisher.publish((0..<10).map {
            AMQPOutgoingMessage(exchange: exchange, routingKey: "nobody.home", body: [], messageId: "m\($0)")
        })
        // Default exchange, no such queue.
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: TestEnv.unique("missing"),
                                                         body: [1], messageId: "x")])
        try await publisher.check()
        try await publisher.deleteExchange(exchange)
    }

    @Test func publishingToAMissingExchangeFailsAndThePublisherRecovers() async throws {
        let config = try TestEnv.amqpConfig()
        let publisher = AMQPPublisher(config: config, topology: .empty, logger: TestEnv.logger)
        defer { publisher.close() }
        let error = await #expect(throws: AMQPError.self) {
            try await publisher.publish([AMQPOutgoingMessage(exchange: TestEnv.unique("no-such-exchange"),
                                                             routingKey: "k", body: [], messageId: "m")])
        }
        #expect(error?.code == .channelError)
        // Next call reconnects.
        try await publisher.check()
        try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: TestEnv.unique("void"), body: [],
                                                         messageId: "m2")])
    }

    @Test func closedPortFailsFastWithConnectionFailed() async throws {
        var config = try TestEnv.amqpConfig()
        config.host = "127.0.0.1"
        config.port = 1
        let publisher = AMQPPublisher(config: config, topology: .empty, logger: TestEnv.logger)
        defer { publisher.close() }
        let checkError = await #expect(throws: AMQPError.self) { try await publisher.check() }
        #expect(checkError?.code == .connectionFailed)
        let publishError = await #expect(throws: AMQPError.self) {
            try await publisher.publish([AMQPOutgoingMessage(exchange: "", routingKey: "q", body: [], messageId: "m")])
        }
        #expect(publishError?.code == .connectionFailed)

        let consumer = AMQPConsumer(config: config, topology: .empty, queues: ["q"], prefetch: 1,
                                    logger: TestEnv.logger)
        _ = consumer.deliveries()
        let deadline = ContinuousClock.now + .seconds(20)
        while consumer.lastError == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!consumer.isConnected)
        #expect(consumer.lastError?.contains("connectionFailed") == true)
        consumer.stop()
        try await withTimeout(.seconds(20), "consumer stop during backoff") { await consumer.waitUntilStopped() }
    }

    @Test func closedPublisherThrowsClosed() async throws {
        let publisher = AMQPPublisher(config: try TestEnv.amqpConfig(), topology: .empty, logger: TestEnv.logger)
        try await publisher.check()
        publisher.close()
        let error = await #expect(throws: AMQPError.self) { try await publisher.check() }
        #expect(error?.code == .closed)
    }

    @Test func wrongPasswordIsLoginFailed() async throws {
        var config = try TestEnv.amqpConfig()
        config.password = "definitely-wrong-\(UInt32.random(in: 0...UInt32.max))"
        let publisher = AMQPPublisher(config: config, topology: .empty, logger: TestEnv.logger)
        defer { publisher.close() }
        let error = await #expect(throws: AMQPError.self) { try await publisher.check() }
        #expect(error?.code == .loginFailed)
        #expect(error?.message.contains(config.password) == false)
    }
}
