'use strict';
// ConfluentInteropIT's other side: what a Node.js pipeline would write with Confluent's own serde. It produces one
// InferenceRequest with @confluentinc/schemaregistry's AvroSerializer (the subject's latest schema, as the README's
// "Any Confluent client" section configures it), then reads that request's InferenceResult, written by our worker,
// with Confluent's AvroDeserializer, read_committed. It prints one JSON line on stdout: what it sent and what it
// decoded, for the Java test to compare with what our serde reads and wrote. Logs go to stderr.
//
// usage: node confluent-interop.js <bootstrap> <registryUrl> <requestsTopic> <resultsTopic> <requestId> <teamId>
//        <groupId> <timeoutMs>

const { Kafka, Partitioners, logLevel } = require('kafkajs');
const {
  SchemaRegistryClient, SerdeType, AvroSerializer, AvroDeserializer,
} = require('@confluentinc/schemaregistry');

const [bootstrap, registryUrl, requestsTopic, resultsTopic, requestId, teamId, groupId, timeoutMs] =
  process.argv.slice(2);

// kafkajs logs to stdout by default; stdout carries the summary only.
const toStderr = () => ({ namespace, level, log }) =>
  process.stderr.write(`kafkajs ${namespace} ${level}: ${log.message}\n`);

async function main() {
  const registry = new SchemaRegistryClient({ baseURLs: [registryUrl] });
  const kafka = new Kafka({
    clientId: 'confluent-interop', brokers: [bootstrap], logLevel: logLevel.WARN, logCreator: toStderr,
  });

  // A request as a Node.js pipeline builds it: avsc's plain-object form (unions unwrapped, enums as strings,
  // timestamp-millis as numbers), non-ASCII text included so that UTF-8 handling shows.
  const now = Date.now();
  const request = {
    requestId,
    teamId,
    pipelineId: 'node-nightly-review',
    sessionId: 'node-session-1',
    taskType: 'codeReview',
    tier: null,
    messages: [
      { role: 'SYSTEM', content: 'Réponds brièvement.' },
      { role: 'USER', content: 'Review this diff — ünïcödé and emoji 🚀: +return a + b;' },
    ],
    systemPrompt: 'You are a careful reviewer.',
    maxTokens: 512,
    temperature: 0.25,
    model: 'auto',
    priority: 'BATCH',
    deadline: now + 10 * 60 * 1000,
    metadata: { origin: 'kafkajs+@confluentinc/schemaregistry' },
    createdAt: now,
    // fields added after the first release, written as a Node.js pipeline would (the rest take their defaults)
    tools: [{ name: 'lookup_diff', description: 'Fetch a diff by id',
      inputSchema: '{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}' }],
    toolChoice: { mode: 'NONE', toolName: null },
    stopSequences: ['END'],
  };

  // The schema is the one the contract registered under <topic>-value; the client does not register its own.
  const serializer = new AvroSerializer(registry, SerdeType.VALUE, {
    autoRegisterSchemas: false, useLatestVersion: true,
  });
  const value = await serializer.serialize(requestsTopic, request);

  // kafkajs' DefaultPartitioner is the Java client's murmur2: a team's records land on the partition a Java
  // producer would pick, which keeps team-keyed topics co-partitioned.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: requestsTopic, acks: -1, messages: [{ key: teamId, value }] });
  await producer.disconnect();

  const deserializer = new AvroDeserializer(registry, SerdeType.VALUE, {});
  // readUncommitted: false is read_committed: the worker writes results in transactions.
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: resultsTopic, fromBeginning: true });
  const found = await new Promise((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = await deserializer.deserialize(resultsTopic, message.value);
        if (decoded.requestId === requestId) {
          resolve({ decoded, schemaId: message.value.readInt32BE(1), key: message.key.toString('utf8') });
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();

  process.stdout.write(JSON.stringify({
    sent: request,
    sentSchemaId: value.readInt32BE(1),
    resultKey: found.key,
    resultSchemaId: found.schemaId,
    result: found.decoded,
  }) + '\n');
}

const timer = setTimeout(() => {
  process.stderr.write(`no result for ${requestId} on ${resultsTopic} within ${timeoutMs} ms\n`);
  process.exit(2);
}, Number(timeoutMs));

main().then(() => {
  clearTimeout(timer);
  process.exit(0);
}, (error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
