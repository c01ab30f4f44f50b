package org.mstore.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.retry.RetryDecision;
import com.datastax.oss.driver.api.core.servererrors.WriteType;
import com.datastax.oss.driver.api.core.session.Request;
import com.datastax.oss.driver.internal.core.retry.DefaultRetryPolicy;

/**
 * The driver's retry policy, made to ride out a node that has just died: in the seconds before the others' failure
 * detectors mark it down, a coordinator may still count on it and time out with fewer replies than LOCAL_QUORUM needs.
 * Such a read, or such a write of a statement that may run twice (see {@link Cql}), is tried up to twice more on the
 * next node. A lightweight transaction's or a counter's write timeout is left to the default (its outcome is unknown;
 * the callers treat it as a failure of their operation).
 */
public final class StoreRetryPolicy extends DefaultRetryPolicy {
    public StoreRetryPolicy(DriverContext context, String profileName) {
        super(context, profileName);
    }

    @Override
    @SuppressWarnings("deprecation")
    public RetryDecision onReadTimeout(Request request, ConsistencyLevel cl, int blockFor, int received, boolean dataPresent, int retryCount) {
        return retryCount < 2 ? RetryDecision.RETRY_NEXT : RetryDecision.RETHROW;
    }

    @Override
    @SuppressWarnings("deprecation")
    public RetryDecision onWriteTimeout(Request request, ConsistencyLevel cl, WriteType writeType, int blockFor, int received, int retryCount) {
        if (writeType == WriteType.CAS || writeType == WriteType.COUNTER) {
            return super.onWriteTimeout(request, cl, writeType, blockFor, received, retryCount);
        }
        return retryCount < 2 ? RetryDecision.RETRY_NEXT : RetryDecision.RETHROW;
    }
}
