package io.disagg.bench;

import io.disagg.operator.core.Pool;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/**
 * PNG line charts of a replay, drawn with the JDK's own Java 2D (no plotting library, so the
 * benchmark builds offline): the load, the instances per pool, and the SLO attainment over the day.
 */
final class Plots {
  private Plots() {}

  private static final int WIDTH = 1100;
  private static final int PANEL = 300;
  private static final Color[] COLORS = {
    new Color(0x000000),
    new Color(0xD62728),
    new Color(0xFF7F0E),
    new Color(0x9467BD),
    new Color(0x1F77B4),
    new Color(0x2CA02C),
    new Color(0x8C564B),
    new Color(0x7F7F7F),
    new Color(0x17BECF)
  };

  /** One line: its name, color and y per x. */
  record Series(String name, Color color, double[] y) {}

  /** One chart panel. */
  record Panel(String title, String yLabel, double xStep, List<Series> series) {}

  /**
   * Writes load.png, instances.png and slo.png into {@code dir}; returns their paths. The instances
   * plot shows the results {@code inInstancesPlot} accepts, the SLO plot all but static ones.
   */
  static List<Path> write(
      Path dir, double startHour, List<Result> results, Predicate<Result> inInstancesPlot)
      throws IOException {
    Files.createDirectories(dir);
    Result oracle = results.get(0);
    int minutes = oracle.minutes;
    double hour = 1.0 / 60;
    List<Path> out = new ArrayList<>();

    double[] load = new double[minutes];
    for (int m = 0; m < minutes; m++) {
      load[m] = oracle.arrivals[m];
    }
    out.add(
        png(
            dir.resolve("load.png"),
            startHour,
            List.of(
                new Panel(
                    "Load",
                    "requests / minute",
                    hour,
                    List.of(new Series("arrivals", COLORS[0], load))))));

    List<Panel> inst = new ArrayList<>();
    for (Pool pool : Pool.values()) {
      List<Series> s = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        Result r = results.get(i);
        if (!inInstancesPlot.test(r)) {
          continue;
        }
        double[] y = new double[minutes];
        for (int m = 0; m < minutes; m++) {
          y[m] = r.instances(pool, m);
        }
        s.add(new Series(r.policy(), COLORS[i % COLORS.length], y));
      }
      inst.add(
          new Panel(pool.id() + " instances (loading, serving or draining)", "instances", hour, s));
    }
    out.add(png(dir.resolve("instances.png"), startHour, inst));

    int window = 15;
    int n = (minutes + window - 1) / window;
    List<Series> slo = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      if (r.policy().startsWith("static")) {
        continue;
      }
      double[] y = new double[n];
      for (int w = 0; w < n; w++) {
        long a = 0;
        long ok = 0;
        for (int m = w * window; m < Math.min(minutes, (w + 1) * window); m++) {
          a += r.arrivals[m];
          ok += r.withinSlo[m];
        }
        y[w] = a == 0 ? 100 : 100.0 * ok / a;
      }
      slo.add(new Series(r.policy(), COLORS[i % COLORS.length], y));
    }
    out.add(
        png(
            dir.resolve("slo.png"),
            startHour,
            List.of(
                new Panel(
                    "SLO attainment per " + window + " minutes of arrivals",
                    "% within SLO",
                    window * hour,
                    slo))));
    return out;
  }

  private static Path png(Path file, double startHour, List<Panel> panels) throws IOException {
    int height = PANEL * panels.size();
    BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, height);
    for (int p = 0; p < panels.size(); p++) {
      draw(g, panels.get(p), startHour, p * PANEL);
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
    return file;
  }

  private static void draw(Graphics2D g, Panel panel, double startHour, int top) {
    int left = 70;
    int right = WIDTH - 330;
    int plotTop = top + 30;
    int bottom = top + PANEL - 40;
    double xMax = 0;
    double yMin = Double.MAX_VALUE;
    double yMax = -Double.MAX_VALUE;
    for (Series s : panel.series()) {
      xMax = Math.max(xMax, s.y().length * panel.xStep());
      for (double v : s.y()) {
        yMin = Math.min(yMin, v);
        yMax = Math.max(yMax, v);
      }
    }
    yMin = Math.min(0, yMin);
    if (yMax <= yMin) {
      yMax = yMin + 1;
    }
    yMax += (yMax - yMin) * 0.05;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.setColor(Color.BLACK);
    g.drawString(panel.title(), left, top + 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.LIGHT_GRAY);
    for (int k = 0; k <= 4; k++) {
      int y = bottom - (bottom - plotTop) * k / 4;
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.0f", yMin + (yMax - yMin) * k / 4), 5, y + 4);
      g.setColor(Color.LIGHT_GRAY);
    }
    int ticks = (int) Math.max(1, Math.min(12, Math.round(xMax)));
    for (int k = 0; k <= ticks; k++) {
      double h = xMax * k / ticks;
      int x = left + (int) ((right - left) * h / xMax);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.0fh", startHour + h), x - 8, bottom + 15);
    }
    g.drawString(panel.yLabel(), left, bottom + 30);
    g.setColor(Color.BLACK);
    g.drawRect(left, plotTop, right - left, bottom - plotTop);
    int legend = plotTop;
    for (Series s : panel.series()) {
      g.setColor(s.color());
      g.setStroke(new BasicStroke(1.3f));
      int px = -1;
      int py = -1;
      for (int i = 0; i < s.y().length; i++) {
        int x = left + (int) ((right - left) * (i * panel.xStep()) / xMax);
        int y = bottom - (int) ((bottom - plotTop) * (s.y()[i] - yMin) / (yMax - yMin));
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.fillRect(right + 10, legend + 2, 12, 8);
      g.setColor(Color.BLACK);
      g.drawString(s.name(), right + 28, legend + 10);
      legend += 16;
    }
  }
}
