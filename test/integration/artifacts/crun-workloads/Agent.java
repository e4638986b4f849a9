// What the crun suite asks of a JVM under a generated enforce profile, one line per check ("<check> ok"). Run with
// the single-file source launcher (java Agent.java). Held out from the base derivation (scripts/seccomp-workloads/).
import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class Agent {
  public static void main(String[] args) throws Exception {
    Thread t = new Thread(() -> {});
    t.start();
    t.join();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    if (pool.submit(() -> 21 * 2).get() != 42) throw new IllegalStateException("thread");
    pool.shutdown();
    System.out.println("thread ok");

    try (ServerSocket srv = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread s = new Thread(() -> {
        try (Socket c = srv.accept()) { c.getOutputStream().write(c.getInputStream().read() + 1); } catch (IOException e) { throw new UncheckedIOException(e); }
      });
      s.start();
      try (Socket c = new Socket(InetAddress.getLoopbackAddress(), srv.getLocalPort())) {
        c.getOutputStream().write(41);
        if (c.getInputStream().read() != 42) throw new IllegalStateException("socket");
      }
      s.join();
    }
    System.out.println("socket ok");

    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(null, null, null);
    ctx.getSocketFactory().createSocket().close();
    System.out.println("tls ok");

    if (!Files.readString(Paths.get("/etc/os-release")).contains("ID=")) throw new IllegalStateException("file");
    Files.list(Paths.get("/usr/lib")).count();
    System.out.println("file ok");

    Process p = new ProcessBuilder("/bin/cat").start();
    p.getOutputStream().write("child".getBytes());
    p.getOutputStream().close();
    if (!new String(p.getInputStream().readAllBytes()).equals("child")) throw new IllegalStateException("pipe");
    p.waitFor();
    System.out.println("pipe ok");

    ScheduledExecutorService sched = Executors.newSingleThreadScheduledExecutor();
    sched.schedule(() -> 1, 10, TimeUnit.MILLISECONDS).get();
    sched.shutdown();
    Thread.sleep(10);
    System.out.println("timer ok");
    System.out.println("all ok");
  }
}
