/**
 * How keyturn.yaml's secrets become Temporal Schedules, one {@code keyturn/<id>} per secret ({@link
 * io.keyturn.starter.schedules.ScheduledRotations}), what apply would change ({@link
 * io.keyturn.starter.schedules.SchedulePlan}), how live key policies differ from the file ({@link
 * io.keyturn.starter.schedules.PolicyDrift}) and which schedules a fleet rotates ({@link
 * io.keyturn.starter.schedules.FleetSelector}).
 */
package io.keyturn.starter.schedules;
