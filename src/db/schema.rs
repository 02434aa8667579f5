//! The one schema both backends share. Written by hand (not `diesel print-schema`)
//! so ids stay `BigInt` on SQLite too.

diesel::table! {
    places (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    households (id) {
        id -> BigInt,
        village_id -> BigInt,
        stb_id -> Text,
        number -> Text,
        pin_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        pin_failures -> Integer,
        pin_locked_until -> Nullable<Timestamp>,
        access_version -> Integer,
        screen -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        role -> Text,
        place_id -> BigInt,
        password_hash -> Text,
        disabled -> Bool,
        session_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_name -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<BigInt>,
        place_id -> Nullable<BigInt>,
        summary -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    place_generations (place_id) {
        place_id -> BigInt,
        generation -> BigInt,
    }
}

diesel::table! {
    blobs (id) {
        id -> BigInt,
        sha256 -> Text,
        content_type -> Text,
        size -> BigInt,
        data -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        place_id -> BigInt,
        uploaded_by -> Nullable<BigInt>,
        original_name -> Text,
        width -> Integer,
        height -> Integer,
        full_blob_id -> BigInt,
        full_width -> Integer,
        full_height -> Integer,
        tile_blob_id -> BigInt,
        tile_width -> Integer,
        tile_height -> Integer,
        page_blob_id -> BigInt,
        page_width -> Integer,
        page_height -> Integer,
        created_at -> Timestamp,
        token -> Text,
        is_public -> Bool,
    }
}

diesel::table! {
    media_renditions (media_id, kind) {
        media_id -> BigInt,
        kind -> Text,
        blob_id -> BigInt,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        place_id -> BigInt,
        scope -> Text,
        section -> Text,
        version -> Integer,
        head_revision_id -> Nullable<BigInt>,
        live_revision_id -> Nullable<BigInt>,
        archived -> Bool,
        title -> Text,
        category -> Nullable<Text>,
        publish_at -> Nullable<Timestamp>,
        expire_at -> Nullable<Timestamp>,
        pinned -> Bool,
        urgent -> Bool,
        published_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> BigInt,
        article_id -> BigInt,
        number -> Integer,
        state -> Text,
        section -> Text,
        category -> Nullable<Text>,
        title -> Text,
        summary -> Text,
        body -> Text,
        video_url -> Nullable<Text>,
        poster_media_id -> Nullable<BigInt>,
        duration_seconds -> Nullable<Integer>,
        publish_at -> Nullable<Timestamp>,
        expire_at -> Nullable<Timestamp>,
        pinned -> Bool,
        urgent -> Bool,
        author_id -> Nullable<BigInt>,
        author_name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reviewer_name -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    alerts (id) {
        id -> BigInt,
        place_id -> BigInt,
        level -> Text,
        text -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alert_villages (alert_id, village_id) {
        alert_id -> BigInt,
        village_id -> BigInt,
    }
}

diesel::table! {
    health_stations (id) {
        id -> BigInt,
        village_id -> BigInt,
        code -> Text,
        name -> Text,
        address -> Text,
        hours -> Text,
        doctor -> Text,
        phone -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    residents (id) {
        id -> BigInt,
        code -> Text,
        household_id -> BigInt,
        name -> Text,
        sex -> Text,
        birth_year -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    observations (id) {
        id -> BigInt,
        resident_id -> BigInt,
        station_id -> BigInt,
        code -> Text,
        value -> Double,
        value2 -> Nullable<Double>,
        unit -> Text,
        flag -> Text,
        taken_at -> Timestamp,
        device -> Nullable<Text>,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cameras (id) {
        id -> BigInt,
        village_id -> BigInt,
        name -> Text,
        spot -> Text,
        position -> Integer,
        visibility -> Text,
        source_sealed -> Binary,
        sources -> Text,
        privacy -> Text,
        status -> Text,
        status_since -> Timestamp,
        status_reason -> Text,
        failures -> Integer,
        snapshot_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    camera_snapshots (camera_id) {
        camera_id -> BigInt,
        taken_at -> Timestamp,
        large -> Binary,
        small -> Binary,
    }
}

diesel::table! {
    camera_events (id) {
        id -> BigInt,
        camera_id -> BigInt,
        at -> Timestamp,
        status -> Text,
        reason -> Text,
    }
}

diesel::table! {
    camera_leases (camera_id, kind) {
        camera_id -> BigInt,
        kind -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    camera_live (camera_id) {
        camera_id -> BigInt,
        playlist -> Text,
        started_at -> Timestamp,
        viewed_at -> Timestamp,
    }
}

diesel::table! {
    camera_segments (camera_id, name) {
        camera_id -> BigInt,
        name -> Text,
        data -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    camera_systems (id) {
        id -> BigInt,
        place_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    video_files (stream, name) {
        stream -> Text,
        name -> Text,
        content_type -> Text,
        data -> Binary,
    }
}

diesel::table! {
    video_jobs (id) {
        id -> BigInt,
        place_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        state -> Text,
        progress -> Integer,
        error -> Text,
        stream -> Text,
        seconds -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cadres (id) {
        id -> BigInt,
        village_id -> BigInt,
        name -> Text,
        post -> Text,
        phone -> Text,
        duty_phone -> Text,
        photo_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        active -> Bool,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    duty_offices (village_id) {
        village_id -> BigInt,
        hours -> Text,
        phone -> Text,
        absent_after -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    duty_shifts (id) {
        id -> BigInt,
        village_id -> BigInt,
        weekday -> Integer,
        cadre_id -> BigInt,
        starts -> Integer,
        ends -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    duty_changes (id) {
        id -> BigInt,
        village_id -> BigInt,
        kind -> Text,
        day -> Text,
        cadre_id -> BigInt,
        other_cadre_id -> BigInt,
        other_day -> Nullable<Text>,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    holidays (day) {
        day -> Text,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    duty_signins (id) {
        id -> BigInt,
        village_id -> BigInt,
        cadre_id -> BigInt,
        day -> Text,
        kind -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    duty_code_uses (village_id, window_no) {
        village_id -> BigInt,
        window_no -> BigInt,
        used_at -> Timestamp,
    }
}

diesel::table! {
    office_pairings (id) {
        id -> BigInt,
        village_id -> BigInt,
        secret_hash -> Text,
        number_hash -> Text,
        device -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    office_screens (id) {
        id -> BigInt,
        village_id -> BigInt,
        token_hash -> Text,
        issued -> Bool,
        device -> Text,
        approved_by -> Nullable<BigInt>,
        approved_by_name -> Text,
        approved_at -> Timestamp,
        last_seen -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by_name -> Nullable<Text>,
    }
}

diesel::table! {
    party_members (id) {
        id -> BigInt,
        village_id -> BigInt,
        name -> Text,
        status -> Text,
        voting -> Bool,
        committee -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    branch_meetings (id) {
        id -> BigInt,
        village_id -> BigInt,
        kind -> Text,
        held_on -> Text,
        place -> Text,
        host -> Text,
        recorder -> Text,
        topics -> Text,
        minutes -> Text,
        expected -> Integer,
        present -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        photo_id -> Nullable<BigInt>,
        confirmed_by -> Nullable<BigInt>,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    meeting_photos (meeting_id, media_id) {
        meeting_id -> BigInt,
        media_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    meeting_attendance (meeting_id, member_id) {
        meeting_id -> BigInt,
        member_id -> BigInt,
        present -> Bool,
        reason -> Text,
    }
}

diesel::table! {
    voice_requests (id) {
        id -> BigInt,
        village_id -> BigInt,
        household_id -> BigInt,
        verified -> Bool,
        kind -> Text,
        category -> Text,
        category_label -> Text,
        reason -> Text,
        callback -> Bool,
        article_id -> Nullable<BigInt>,
        state -> Text,
        due_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
        escalated_at -> Nullable<Timestamp>,
        reply -> Text,
        replied_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        satisfaction -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        reopened -> Integer,
        notified -> Text,
        confirm_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    voice_steps (id) {
        id -> BigInt,
        request_id -> BigInt,
        at -> Timestamp,
        actor_name -> Text,
        action -> Text,
        note -> Text,
    }
}

diesel::table! {
    voice_boards (village_id) {
        village_id -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    township_webhooks (township_id) {
        township_id -> BigInt,
        url -> Text,
        secret -> Text,
        active -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        township_id -> BigInt,
        event -> Text,
        body -> Text,
        attempts -> Integer,
        state -> Text,
        next_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_error -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(households -> places (village_id));
diesel::joinable!(health_stations -> places (village_id));
diesel::joinable!(residents -> households (household_id));
diesel::joinable!(observations -> residents (resident_id));
diesel::joinable!(observations -> health_stations (station_id));
diesel::joinable!(media -> places (place_id));
diesel::joinable!(media_renditions -> media (media_id));
diesel::joinable!(articles -> places (place_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(alerts -> places (place_id));
diesel::joinable!(users -> places (place_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(cameras -> places (village_id));
diesel::joinable!(camera_snapshots -> cameras (camera_id));
diesel::joinable!(camera_events -> cameras (camera_id));

diesel::joinable!(cadres -> places (village_id));
diesel::joinable!(duty_shifts -> cadres (cadre_id));
diesel::joinable!(duty_signins -> cadres (cadre_id));
diesel::joinable!(office_pairings -> places (village_id));
diesel::joinable!(office_screens -> places (village_id));
diesel::joinable!(meeting_attendance -> party_members (member_id));
diesel::joinable!(meeting_photos -> media (media_id));
diesel::joinable!(voice_requests -> places (village_id));
diesel::joinable!(voice_requests -> households (household_id));
diesel::joinable!(voice_steps -> voice_requests (request_id));

diesel::joinable!(township_webhooks -> places (township_id));
diesel::joinable!(webhook_deliveries -> places (township_id));

diesel::allow_tables_to_appear_in_same_query!(
    places,
    households,
    users,
    audit_log,
    login_failures,
    settings,
    place_generations,
    blobs,
    media,
    media_renditions,
    articles,
    article_revisions,
    alerts,
    alert_villages,
    health_stations,
    residents,
    observations,
    cameras,
    camera_snapshots,
    camera_events,
    camera_leases,
    camera_live,
    camera_segments,
    camera_systems,
    video_files,
    video_jobs,
    cadres,
    duty_offices,
    duty_shifts,
    duty_changes,
    holidays,
    duty_signins,
    duty_code_uses,
    office_pairings,
    office_screens,
    party_members,
    branch_meetings,
    meeting_photos,
    meeting_attendance,
    voice_requests,
    voice_steps,
    voice_boards,
    township_webhooks,
    webhook_deliveries,
);
