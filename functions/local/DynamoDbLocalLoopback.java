// Starts DynamoDB Local bound to 127.0.0.1 only. The stock launcher binds every interface and has
// no host option, so we build the server the same way it does and set the connector's host before
// starting. Telemetry is never configured here (and -disableTelemetry is passed as well).
// Run with Java 17's single-file source launcher: java -cp DynamoDBLocal.jar DynamoDbLocalLoopback.java ARGS
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector serverConnector) {
        serverConnector.setHost("127.0.0.1");
      }
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getPort());
  }
}
