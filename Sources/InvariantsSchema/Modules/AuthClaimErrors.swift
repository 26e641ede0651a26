/// Issue 16, finding 13: malformed claims reached the shim's `auth.uid()` as a raw 22P02
/// ("invalid input syntax for type uuid" / "… type json"), naming neither the setting nor
/// the claim. The shim's `auth.uid()` now raises IV422 (``ProjectErrorCode/invalidInput``)
/// naming what is wrong, the setting in the error's COLUMN field:
/// - `request.jwt.claims is not JSON` (COLUMN `request.jwt.claims`);
/// - `request.jwt.claims sub is not a uuid` (COLUMN `request.jwt.claims`);
/// - `request.jwt.claim.sub is not a uuid` (COLUMN `request.jwt.claim.sub`, the legacy setting).
///
/// IV422, not a new "unauthenticated" code: the claims are input the caller set (PostgREST
/// from a verified token, or a session setting them itself), and a missing `sub` still means
/// NULL (anonymous), which the policies already refuse. Valid claims give exactly what they
/// gave before (whatever `uuid` accepts), and the legacy setting is still preferred.
///
/// Replaced only where the shim created it: when `auth.uid()`'s body is exactly auth 1's. On
/// Supabase `auth.uid()` is Supabase's and stays as it is; there PostgREST sets the claims from
/// a verified token, whose `sub` GoTrue always issues as a UUID, and `invariants.call_as`
/// refuses claims that are not a JSON object with a uuid `sub` before setting them.
enum AuthClaimErrors {
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral

    /// auth 1's `auth.uid()` body, as `pg_proc.prosrc` holds it (between the newlines).
    static var releasedBody: String { AuthModule.functions.first { $0.name == "uid" }!.body }

    static let uid = StoredFunction(
        QualifiedName("auth", "uid"), returns: "uuid", volatility: .stable, searchPath: [],
        body: """
            DECLARE
                sub text := NULLIF(pg_catalog.current_setting('request.jwt.claim.sub', true), '');
                source text := 'request.jwt.claim.sub';
                claims jsonb;
            BEGIN
                IF sub IS NULL THEN
                    source := 'request.jwt.claims';
                    BEGIN
                        claims := NULLIF(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
                    EXCEPTION WHEN invalid_text_representation THEN
                        RAISE EXCEPTION 'request.jwt.claims is not JSON'
                            USING ERRCODE = \(invalid), COLUMN = 'request.jwt.claims';
                    END;
                    sub := claims ->> 'sub';
                END IF;
                BEGIN
                    RETURN sub::uuid;
                EXCEPTION WHEN invalid_text_representation THEN
                    RAISE EXCEPTION '%', CASE source WHEN 'request.jwt.claims' THEN 'request.jwt.claims sub is not a uuid'
                                                     ELSE 'request.jwt.claim.sub is not a uuid' END
                        USING ERRCODE = \(invalid), COLUMN = source;
                END;
            END
            """)

    /// auth 2: `auth.uid()` replaced where it is the shim's own.
    static var migration: Migration {
        Migration(
            module: "auth", version: 2, name: "auth_uid_claim_errors", source: "InvariantsSchema.AuthClaimErrors.migration",
            steps: [MigrationStep("DO " + DollarQuote.quote("""
                BEGIN
                    IF (SELECT pg_catalog.btrim(p.prosrc, E'\\n') FROM pg_catalog.pg_proc AS p
                         WHERE p.oid = pg_catalog.to_regprocedure('auth.uid()')) = \(SQLText.literal(releasedBody)) THEN
                        EXECUTE \(DollarQuote.quote(uid.createSQL, base: "replace"));
                    END IF;
                END
                """, base: "shim"))])
    }
}
