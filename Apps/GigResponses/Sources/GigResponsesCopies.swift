public import InvariantsSchema

extension GigResponsesModule {
    /// Seed 004's gigs and responses declared again in `schema`, with the same counters kept by
    /// another ``CounterCache/Strategy`` (named `<schema>_gig_responses`): the tests run one
    /// workload against every strategy and the benchmarks compare them, on tables shaped exactly
    /// like migration 5's. Not part of the catalog.
    public struct StrategyCopy: Sendable {
        public let gigs: Table
        public let responses: Table
        public let counter: CounterCache
        /// The copy's `gig_id`, kept by its own trigger.
        public var gigKey: PolymorphicKey {
            var key = GigResponsesModule.gigKey
            key.table = responses.qualifiedName
            return key
        }

        /// Everything to create it on a migrated database (which has `public.workspaces`), as the
        /// superuser: schema, tables, the counter's tables, updated_at, the counter's logic.
        public var installStatements: [String] {
            var statements = ["CREATE SCHEMA \(SQLText.identifier(gigs.schema))"]
            statements += (gigs.createSteps() + responses.createSteps() + counter.migrationSteps()).map(\.sql)
            let objects = UpdatedAt(gigs, ignoring: counter.counters.map(\.column)).repeatableObjects()
                + UpdatedAt(responses).repeatableObjects() + gigKey.repeatableObjects() + counter.repeatableObjects()
            return statements + objects.flatMap(\.statements)
        }
    }

    public static func copy(inSchema schema: String, strategy: CounterCache.Strategy) -> StrategyCopy {
        var gigs = Self.gigs
        gigs.schema = schema
        var responses = Self.responses
        responses.schema = schema
        // The responses' key to their gig points at the copy's gigs.
        responses.constraints = responses.constraints.map { constraint in
            guard case .foreignKey(var key) = constraint, key.referencedTable == Self.gigs.qualifiedName else { return constraint }
            key.referencedTable = gigs.qualifiedName
            return .foreignKey(key)
        }
        let counter = CounterCache(
            name: schema + "_gig_responses", parent: gigs, child: responses, link: counters.link,
            scope: counters.scope, counters: counters.counters, strategy: strategy)
        return StrategyCopy(gigs: gigs, responses: responses, counter: counter)
    }
}
