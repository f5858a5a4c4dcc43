package io.keyturn.starter.commands;

import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.RotationRequest;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Grace periods on the command line: a {@link Durations duration} from 0 to {@link
 * RotationRequest#MAX_GRACE}.
 */
final class GracePeriods implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** Parses a grace period, or throws with a message that shows the accepted forms. */
  static Duration parse(String text) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
    if (d.isNegative()) {
      throw new TypeConversionException(
          "'" + text + "' is negative: a grace period is 0 or more (0s revokes right away)");
    }
    if (d.compareTo(RotationRequest.MAX_GRACE) > 0) {
      throw tooLong(text);
    }
    return d;
  }

  private static TypeConversionException tooLong(String text) {
    return new TypeConversionException(
        "'"
            + text
            + "' is longer than the "
            + RotationRequest.MAX_GRACE.toDays()
            + "-day maximum grace period");
  }
}
