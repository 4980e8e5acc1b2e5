//! Pass links and the visits they bring.

use chrono::NaiveDateTime;

use super::interactions::ObjectKey;
use super::schema::{leaderboard_optouts, pass_links, pass_visits, visit_salts};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

/// The code of a fan's pass link, made (with `new_code`) on first use.
pub async fn code_for(db: &Db, handle: &str, new_code: &str) -> DbResult<String> {
    with_conn!(db, conn => {
        diesel::insert_into(pass_links::table)
            .values((
                pass_links::code.eq(new_code),
                pass_links::handle.eq(handle),
                pass_links::created_at.eq(super::now()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(pass_links::table
            .filter(pass_links::handle.eq(handle))
            .select(pass_links::code)
            .get_result(conn)
            .await?)
    })
}

/// Whether a code exists.
pub async fn exists(db: &Db, code: &str) -> DbResult<bool> {
    with_conn!(db, conn => Ok(pass_links::table
        .find(code)
        .select(pass_links::code)
        .get_result::<String>(conn)
        .await
        .optional()?
        .is_some()))
}

/// Today's salt, made once per day; older salts are dropped so old hashes cannot be redone.
pub async fn salt_for(db: &Db, day: &str, new_salt: &str) -> DbResult<String> {
    with_conn!(db, conn => {
        diesel::insert_into(visit_salts::table)
            .values((visit_salts::day.eq(day), visit_salts::salt.eq(new_salt)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        diesel::delete(visit_salts::table.filter(visit_salts::day.ne(day)))
            .execute(conn)
            .await?;
        Ok(visit_salts::table
            .find(day)
            .select(visit_salts::salt)
            .get_result(conn)
            .await?)
    })
}

/// Records a visit once per visitor, object and day; false when it was counted already.
pub async fn record_visit(
    db: &Db,
    code: &str,
    object: ObjectKey,
    visitor_hash: &str,
    day: &str,
) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::insert_into(pass_visits::table)
            .values((
                pass_visits::code.eq(code),
                pass_visits::artist_id.eq(object.artist_id),
                pass_visits::object_kind.eq(object.kind),
                pass_visits::object_id.eq(object.id),
                pass_visits::visitor_hash.eq(visitor_hash),
                pass_visits::day.eq(day),
                pass_visits::created_at.eq(super::now()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(n == 1)
    })
}

/// Successful passes per fan handle for an artist, since `since` (all time when `None`).
pub async fn passes_by_handle(
    db: &Db,
    artist_id: i64,
    since: Option<NaiveDateTime>,
) -> DbResult<Vec<(String, i64)>> {
    with_conn!(db, conn => {
        let mut query = pass_visits::table
            .inner_join(pass_links::table)
            .filter(pass_visits::artist_id.eq(artist_id))
            .group_by(pass_links::handle)
            .select((pass_links::handle, diesel::dsl::count_star()))
            .into_boxed();
        if let Some(since) = since {
            query = query.filter(pass_visits::created_at.ge(since));
        }
        Ok(query.load(conn).await?)
    })
}

/// Leaves a fan out of an artist's public leaderboard (`hide`), or puts them back.
pub async fn set_optout(db: &Db, artist_id: i64, handle: &str, hide: bool) -> DbResult<()> {
    with_conn!(db, conn => {
        if hide {
            diesel::insert_into(leaderboard_optouts::table)
                .values((
                    leaderboard_optouts::artist_id.eq(artist_id),
                    leaderboard_optouts::handle.eq(handle),
                    leaderboard_optouts::created_at.eq(super::now()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        } else {
            diesel::delete(
                leaderboard_optouts::table
                    .filter(leaderboard_optouts::artist_id.eq(artist_id))
                    .filter(leaderboard_optouts::handle.eq(handle)),
            )
            .execute(conn)
            .await?;
        }
        Ok(())
    })
}

/// Handles of fans left out of an artist's public leaderboard.
pub async fn optouts(db: &Db, artist_id: i64) -> DbResult<Vec<String>> {
    with_conn!(db, conn => Ok(leaderboard_optouts::table
        .filter(leaderboard_optouts::artist_id.eq(artist_id))
        .select(leaderboard_optouts::handle)
        .load(conn)
        .await?))
}

/// Successful passes per object of an artist: `(object_kind, object_id, passes)`, most first.
pub async fn passes_by_object(db: &Db, artist_id: i64) -> DbResult<Vec<(String, i64, i64)>> {
    with_conn!(db, conn => Ok(pass_visits::table
        .filter(pass_visits::artist_id.eq(artist_id))
        .group_by((pass_visits::object_kind, pass_visits::object_id))
        .select((pass_visits::object_kind, pass_visits::object_id, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .load(conn)
        .await?))
}
