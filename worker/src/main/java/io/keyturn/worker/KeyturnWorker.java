package io.keyturn.worker;

import io.micronaut.context.ApplicationContext;
import java.util.concurrent.CountDownLatch;

/** Entry point of the worker process: {@code java -jar keyturn-worker.jar}. */
public final class KeyturnWorker {
  private KeyturnWorker() {}

  public static void main(String[] args) throws InterruptedException {
    ApplicationContext ctx;
    try {
      ctx = ApplicationContext.builder(KeyturnWorker.class).args(args).start();
    } catch (RuntimeException e) {
      Throwable c = e;
      while (c.getCause() != null && !(c instanceof IllegalStateException)) {
        c = c.getCause();
      }
      System.err.println(c.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (ctx.isRunning()) {
                    ctx.close();
                  }
                  stopped.countDown();
                },
                "keyturn-shutdown"));
    stopped.await();
  }
}
