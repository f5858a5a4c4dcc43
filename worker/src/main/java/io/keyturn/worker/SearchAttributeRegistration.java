package io.keyturn.worker;

import io.grpc.StatusRuntimeException;
import io.keyturn.workflows.KeyturnSearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the namespace has Keyturn's search attributes before rotations run: a rotation sets
 * them at its first step, and a server without them fails that step until they exist. Adds the
 * missing ones where the server allows it (dev server, self-hosted); where it does not (Temporal
 * Cloud), says loudly how to create them. Never stops the worker.
 */
final class SearchAttributeRegistration {
  private static final Logger log = LoggerFactory.getLogger(SearchAttributeRegistration.class);

  private SearchAttributeRegistration() {}

  /** Returns the attributes that are still missing (empty when all exist). */
  static Map<String, String> ensure(WorkflowServiceStubs stubs, String namespace) {
    OperatorServiceStubs op =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setChannel(stubs.getRawChannel())
                .validateAndBuildWithDefaults());
    Map<String, String> missing = new TreeMap<>();
    try {
      Map<String, IndexedValueType> existing =
          op.blockingStub()
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build())
              .getCustomAttributesMap();
      KeyturnSearchAttributes.TYPES.forEach(
          (name, type) -> {
            if (!existing.containsKey(name)) {
              missing.put(name, type);
            }
          });
      if (missing.isEmpty()) {
        return missing;
      }
      AddSearchAttributesRequest.Builder add =
          AddSearchAttributesRequest.newBuilder().setNamespace(namespace);
      missing.forEach((name, type) -> add.putSearchAttributes(name, indexed(type)));
      op.blockingStub().addSearchAttributes(add.build());
      log.info("registered search attributes {} in namespace {}", missing.keySet(), namespace);
      missing.clear();
    } catch (StatusRuntimeException e) {
      Map<String, String> all = missing.isEmpty() ? KeyturnSearchAttributes.TYPES : missing;
      log.error(
          "cannot check or add Keyturn's search attributes in namespace {} ({}). Rotations stall at"
              + " their first step until they exist. Create them once: {}",
          namespace,
          e.getStatus().getCode(),
          all.entrySet().stream()
              .map(
                  a ->
                      "temporal operator search-attribute create --namespace "
                          + namespace
                          + " --name "
                          + a.getKey()
                          + " --type "
                          + a.getValue())
              .collect(Collectors.joining("; ")));
      return all;
    } finally {
      op.shutdown();
    }
    return missing;
  }

  private static IndexedValueType indexed(String type) {
    return type.equals("Int")
        ? IndexedValueType.INDEXED_VALUE_TYPE_INT
        : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  }
}
