-- 006: several unit operations on one authorization in one statement, in order (the reference
-- API's per-authorization batching, api/batcher.ts). Each operation is apply_unit_operation, whole:
-- the capacity check still sums the ledger, each has its own ledger row and idempotency record,
-- and the statement runs in one SERIALIZABLE transaction (apply_unit_operation refuses any other
-- level). A 40001/40P01 aborts the batch and the API retries it whole; any other error (a repeated
-- key: 23505) aborts it and the API applies its operations one by one instead.
CREATE FUNCTION apply_unit_operations(
  p_authorization_id text, p_organization_id uuid, p_operations unit_operation[], p_units integer[],
  p_keys text[], p_practitioner_ids uuid[], p_hashes text[], p_fold_after integer)
RETURNS TABLE (ord integer, outcome text, status_code integer, response_body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_operations, 1), 0) LOOP
    SELECT * INTO r FROM apply_unit_operation(p_authorization_id, p_organization_id, p_operations[i], p_units[i],
                                              p_keys[i], p_practitioner_ids[i], p_hashes[i], p_fold_after);
    ord := i;
    outcome := r.outcome;
    status_code := r.status_code;
    response_body := r.response_body;
    RETURN NEXT;
  END LOOP;
END
$$;
