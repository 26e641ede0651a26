extension GenerationsModule {
    /// Seed 002's tables as its app (Supabase migrations) made them, before Invariants: the
    /// fixture of the adoption test. `generation_jobs` without the card link, the source id or
    /// the timestamps; `generations` whose images are plain URL strings; and the app's own
    /// INSERT-only `save_completed_generation_to_history`, which makes a new card for every job
    /// entering `completed` (edits too: the behaviour the seed set out to change).
    ///
    /// Runs after Supabase's own setup (the `auth` schema and `auth.users`, the platform roles
    /// and their default grants on `public`).
    public static var seedAppStatements: [String] {
        [
            """
            CREATE TABLE public.generations (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
                category text NOT NULL DEFAULT 'generation',
                prompt text,
                output_data jsonb NOT NULL DEFAULT '{"images": []}'::jsonb,
                tokens_used bigint NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE public.generation_jobs (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
                category text NOT NULL DEFAULT 'generation',
                status text NOT NULL DEFAULT 'pending',
                description text,
                product_images jsonb,
                image_url text,
                tokens_cost bigint NOT NULL DEFAULT 0,
                error_message text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE FUNCTION public.save_completed_generation_to_history() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
            BEGIN
                IF NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed' THEN
                    INSERT INTO public.generations (user_id, category, prompt, output_data, tokens_used)
                    VALUES (NEW.user_id, NEW.category, NEW.description,
                            jsonb_build_object('images', jsonb_build_array(NEW.image_url)), NEW.tokens_cost);
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER save_completed_generation_to_history
                AFTER UPDATE ON public.generation_jobs
                FOR EACH ROW EXECUTE FUNCTION public.save_completed_generation_to_history()
            """,
        ]
    }
}
