/**
 * The SDK pipelines use: {@link io.modelrouter.client.RouterClient} sends inference requests to the router and
 * completes a future with each one's result, and delivers a team's budget alerts. Internals live in
 * {@code io.modelrouter.client.internal} and are not API.
 */
package io.modelrouter.client;
