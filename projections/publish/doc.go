// Package publish forwards the event log to a watermill Publisher, for
// integrations (national sync, reminders, notifications) that consume
// messages rather than read models.
//
// A Bridge follows the store's subscription from its own checkpoint, stored
// in publish_checkpoints, and publishes each event as one message whose UUID
// is the event id. Delivery is at least once: the checkpoint is committed
// after the publisher accepted the messages, so a crash in between publishes
// them again, and consumers deduplicate by message UUID. In one process the
// publisher is watermill's GoChannel; across machines, NATS JetStream.
//
// NewConsumerRouter gives consumers watermill's Router with the middleware
// hoso expects of them: recovery, retry with backoff, and a poison queue.
package publish
