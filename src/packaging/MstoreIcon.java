import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.File;

import javax.imageio.ImageIO;

/**
 * Draws the application icon, {@code assets/mstore.png} (256 x 256, transparent corners): a mail store, an envelope
 * on a stack of disks, with a check mark for the maintenance. A single-file program, run with the JDK alone:
 *
 * <pre>java -Djava.awt.headless=true src/packaging/MstoreIcon.java assets/mstore.png</pre>
 *
 * Not part of the build: the PNG is committed; run this again only to change the picture.
 */
public class MstoreIcon {
    public static void main(String[] args) throws Exception {
        int n = 256;
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);

        // The tile: a rounded square, blue, lighter at the top.
        g.setPaint(new GradientPaint(0, 8, new Color(0x3d7fd1), 0, 248, new Color(0x1d3f7a)));
        g.fill(new RoundRectangle2D.Double(8, 8, 240, 240, 56, 56));

        // The store: three disks stacked, drawn bottom first.
        Color disk = new Color(0xdfe9f7);
        Color edge = new Color(0x1d3f7a);
        g.setStroke(new BasicStroke(5f));
        for (int i = 2; i >= 0; i--) {
            double top = 128 + i * 30;
            Path2D side = new Path2D.Double();
            side.moveTo(52, top + 14);
            side.lineTo(52, top + 40);
            side.append(new java.awt.geom.Arc2D.Double(52, top + 26, 152, 28, 180, 180, java.awt.geom.Arc2D.OPEN), true);
            side.lineTo(204, top + 14);
            side.closePath();
            g.setColor(disk);
            g.fill(side);
            g.setColor(edge);
            g.draw(side);
            Ellipse2D lid = new Ellipse2D.Double(52, top, 152, 28);
            g.setColor(Color.WHITE);
            g.fill(lid);
            g.setColor(edge);
            g.draw(lid);
        }

        // The envelope, above the disks.
        RoundRectangle2D body = new RoundRectangle2D.Double(56, 44, 144, 96, 12, 12);
        g.setColor(Color.WHITE);
        g.fill(body);
        g.setColor(edge);
        g.setStroke(new BasicStroke(6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(body);
        Path2D flap = new Path2D.Double();
        flap.moveTo(60, 50);
        flap.lineTo(128, 100);
        flap.lineTo(196, 50);
        g.draw(flap);

        // The check mark: a green badge at the lower right.
        g.setColor(new Color(0x2e9e4f));
        g.fill(new Ellipse2D.Double(160, 160, 80, 80));
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(5f));
        g.draw(new Ellipse2D.Double(160, 160, 80, 80));
        g.setStroke(new BasicStroke(11f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        Path2D tick = new Path2D.Double();
        tick.moveTo(180, 201);
        tick.lineTo(195, 216);
        tick.lineTo(221, 184);
        g.draw(tick);

        g.dispose();
        ImageIO.write(img, "png", new File(args.length > 0 ? args[0] : "mstore.png"));
    }
}
