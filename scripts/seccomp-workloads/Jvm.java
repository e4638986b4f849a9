// Exercises what a JVM agent process does, for scripts/derive-seccomp-bases.ts to trace with strace -f: threads and
// executors, TCP/UDP sockets, NIO selectors, TLS context load, an HTTP server and client, files, a child process over
// pipes, timers and sleeps.
import com.sun.net.httpserver.HttpServer;
import java.io.*;
import java.net.*;
import java.net.http.*;
import java.nio.ByteBuffer;
import java.nio.channels.*;
import java.nio.file.*;
import java.security.*;
import java.util.*;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class Jvm {
  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Integer>> fs = new ArrayList<>();
    for (int i = 0; i < 8; i++) { final int x = i; fs.add(pool.submit(() -> x * x)); }
    if (fs.get(3).get() != 9) throw new IllegalStateException("pool");
    pool.shutdown();
    pool.awaitTermination(5, TimeUnit.SECONDS);

    try (ServerSocket srv = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket c = srv.accept()) { c.getOutputStream().write(c.getInputStream().read()); } catch (IOException e) { throw new UncheckedIOException(e); }
      });
      t.start();
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), srv.getLocalPort())) {
        s.setTcpNoDelay(true);
        s.getOutputStream().write(7);
        if (s.getInputStream().read() != 7) throw new IllegalStateException("tcp");
      }
      t.join();
    }
    try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress()); DatagramSocket b = new DatagramSocket()) {
      b.send(new DatagramPacket(new byte[] {1}, 1, InetAddress.getLoopbackAddress(), a.getLocalPort()));
      a.receive(new DatagramPacket(new byte[4], 4));
    }
    try (Selector sel = Selector.open(); ServerSocketChannel ch = ServerSocketChannel.open()) {
      ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      ch.configureBlocking(false);
      ch.register(sel, SelectionKey.OP_ACCEPT);
      sel.select(10);
    }
    InetAddress.getAllByName("localhost");

    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, null, new SecureRandom());
    ctx.getSocketFactory().createSocket().close();
    KeyStore.getInstance(KeyStore.getDefaultType());
    MessageDigest.getInstance("SHA-256").digest("x".getBytes());

    HttpServer hs = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    hs.createContext("/", ex -> { byte[] b = "{\"ok\":true}".getBytes(); ex.sendResponseHeaders(200, b.length); ex.getResponseBody().write(b); ex.close(); });
    hs.start();
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hs.getAddress().getPort() + "/")).build(), HttpResponse.BodyHandlers.ofString());
    if (!r.body().contains("ok")) throw new IllegalStateException("http");
    hs.stop(0);

    Path dir = Files.createTempDirectory("warden");
    Path p = dir.resolve("a.txt");
    Files.writeString(p, "hello\n".repeat(100));
    Files.readAllLines(p);
    Files.readString(Paths.get("/etc/os-release"));
    try (FileChannel fc = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) { fc.force(true); fc.map(FileChannel.MapMode.READ_ONLY, 0, 5); }
    Files.move(p, dir.resolve("b.txt"));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Paths.get("/etc"))) { for (Path x : ds) { x.getFileName(); } }
    try (WatchService ws = FileSystems.getDefault().newWatchService()) { dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE); }
    Files.walk(dir).sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());

    Process proc = new ProcessBuilder("/bin/cat").start();
    proc.getOutputStream().write("sub".getBytes());
    proc.getOutputStream().close();
    if (!new String(proc.getInputStream().readAllBytes()).equals("sub")) throw new IllegalStateException("pipe");
    proc.waitFor();

    ScheduledExecutorService sched = Executors.newSingleThreadScheduledExecutor();
    sched.schedule(() -> 1, 10, TimeUnit.MILLISECONDS).get();
    sched.shutdown();
    Thread.sleep(10);
    System.nanoTime();
    Runtime.getRuntime().availableProcessors();
    System.getenv("HOME");
    System.out.println("jvm workload ok");
  }
}
