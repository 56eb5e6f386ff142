package raftkv.client.example;

import static raftkv.client.Responses.sessionToken;
import static raftkv.client.Responses.valueUtf8;

import raftkv.client.BlockingKv;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.Session;
import raftkv.v1.PutResponse;

/**
 * The Java client in one page. docs/java-client.md shows this file as it is, and the server
 * module's QuickStartExampleTest runs it against a three-node cluster.
 */
public final class QuickStartExample {
  public static void main(String[] args) {
    // The nodes' client (gRPC) addresses, host:port, comma-separated.
    String endpoints = args.length > 0 ? args[0] : "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003";

    // One client per application: thread-safe, it holds the connections. Close it when done.
    try (KvClient client = KvClient.builder().endpoints(endpoints).build()) {
      BlockingKv kv = client.blocking();

      // A write returns once a majority has it. A plain get is linearizable.
      PutResponse put = kv.put("greeting", "hello");
      System.out.println("greeting = " + valueUtf8(kv.get("greeting")).orElse("(not found)"));

      // The session token says "everything up to this write". Hand it to another client or
      // process: its session sees the write even when a replica serves the read.
      String token = sessionToken(put);
      Session session = client.session(token);
      System.out.println("in the session: "
          + valueUtf8(session.blocking().get("greeting")).orElse("(not found)"));

      // The same calls with futures. join() would throw a CompletionException caused by a
      // KvException; keep blocking work off the future's thread (see AsyncKv).
      session.async().get("greeting")
          .thenAccept(got -> System.out.println("async: " + valueUtf8(got).orElse("(not found)")))
          .join();

      kv.delete("greeting");
      System.out.println("after delete: " + valueUtf8(kv.get("greeting")).orElse("(not found)"));
    } catch (KvException e) {
      // Every failed call: e.code() is its gRPC status code, the message names the cause.
      System.err.println("raftkv: " + e.getMessage());
    }
  }
}
