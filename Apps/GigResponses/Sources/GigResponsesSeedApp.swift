public import Foundation

extension GigResponsesModule {
    /// Seed 004's database as its app (Drizzle) left it, before Invariants: the fixture of the
    /// adoption tests and benchmark. `workspaces`, `gigs` with `integer` counters kept by hand
    /// (drifted), `responses`, Supabase's roles with the platform's default grants, and with
    /// `appForeignKey` the app's own `0003_add_cascade_delete_responses.sql`, verbatim.
    ///
    /// Gig `n` has the id `md5('g' || n)::uuid`, response `n` `md5('r' || n)::uuid`.
    public struct SeedAppSchema: Sendable {
        public var workspace: UUID
        public var gigs: Int
        public var responses: Int
        public var appForeignKey: Bool
        /// The type of `responses.status` (a mismatch test makes it `varchar(20)`).
        public var statusType: String
        /// `false`: `gigs.id` without its primary key (a mismatch test).
        public var gigsKey: Bool

        /// The schema with `gigs` gigs and `responses` responses spread over them in `workspace`.
        public init(workspace: UUID = UUID(), gigs: Int, responses: Int, appForeignKey: Bool = true,
                    statusType: String = "text NOT NULL", gigsKey: Bool = true) {
            self.workspace = workspace
            self.gigs = gigs
            self.responses = responses
            self.appForeignKey = appForeignKey
            self.statusType = statusType
            self.gigsKey = gigsKey
        }

        public static func responseID(_ n: String) -> String { "md5('r' || (\(n)))::uuid" }
        public static func gigID(_ n: String) -> String { "md5('g' || (\(n)))::uuid" }

        /// Everything to create and fill it on an empty database, as the superuser.
        public var statements: [String] {
            var statements = [
                // Supabase's roles, as the platform makes them (the app's tables get its default grants).
                "DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE ROLE service_role NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "CREATE TABLE public.workspaces (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL)",
                """
                CREATE TABLE public.gigs (
                    id uuid \(gigsKey ? "PRIMARY KEY" : "NOT NULL") DEFAULT gen_random_uuid(),
                    workspace_id uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
                    title text NOT NULL,
                    responses integer NOT NULL DEFAULT 0,
                    new_responses integer NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE public.responses (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    workspace_id uuid NOT NULL,
                    entity_type text NOT NULL DEFAULT 'gig',
                    entity_id uuid NOT NULL,
                    status \(statusType) DEFAULT 'NEW',
                    candidate_name text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "GRANT ALL ON public.workspaces, public.gigs, public.responses TO anon, authenticated, service_role",
                "INSERT INTO public.workspaces (id, name) VALUES ('\(workspace)', 'seed')",
                "INSERT INTO public.gigs (id, workspace_id, title) SELECT \(Self.gigID("g")), '\(workspace)', 'gig ' || g FROM generate_series(1, \(gigs)) g",
                """
                INSERT INTO public.responses (id, workspace_id, entity_type, entity_id, status)
                SELECT \(Self.responseID("r")), '\(workspace)', 'gig', \(Self.gigID("1 + r % \(gigs)")),
                       CASE WHEN r % 3 = 0 THEN 'NEW' ELSE 'VIEWED' END
                FROM generate_series(1, \(responses)) r
                """,
                // The app kept the counters by hand: they drifted.
                "UPDATE public.gigs SET responses = (random() * 20)::int, new_responses = 0",
            ]
            if appForeignKey {
                // packages/db/drizzle/0003_add_cascade_delete_responses.sql, verbatim.
                statements.append("""
                    ALTER TABLE "responses"
                    ADD CONSTRAINT "responses_entity_id_gig_fk"
                    FOREIGN KEY ("entity_id") REFERENCES "gigs"("id")
                    ON DELETE CASCADE
                    ON UPDATE NO ACTION
                    """)
            }
            return statements + ["VACUUM ANALYZE"]
        }

        /// `count - 2` responses of gigs deleted before the app had a cascade, and 2 in another
        /// workspace than their gig's.
        public func orphanStatements(_ count: Int) -> [String] {
            let other = UUID()
            return [
                "INSERT INTO public.workspaces (id, name) VALUES ('\(other)', 'other')",
                """
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                SELECT '\(workspace)', 'gig', gen_random_uuid(), 'NEW' FROM generate_series(1, \(count - 2))
                """,
                """
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                SELECT '\(other)', 'gig', \(Self.gigID("1")), 'NEW' FROM generate_series(1, 2)
                """,
            ]
        }
    }
}
