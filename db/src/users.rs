use crate::{internal, Db};
use mozi_core::{AppError, DisplayName, UnixMillis, UserId, UserView, Username};
use sqlx::SqliteConnection;

/// What sign-in needs to check a password.
pub struct Credentials {
    pub user: UserView,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        UserView {
            id: UserId(row.id),
            username: row.username,
            display_name: row.display_name,
        }
    }
}

/// The answer to a sign-up under a name someone already has.
pub fn taken(username: &Username) -> AppError {
    AppError::Conflict(format!(
        "The username \"{}\" is taken. Choose another one.",
        username.as_str()
    ))
}

impl Db {
    /// Creates an account; a taken username is a conflict.
    pub async fn create_user(
        &self,
        username: &Username,
        display_name: &DisplayName,
        password_hash: &str,
        now: UnixMillis,
    ) -> Result<UserView, AppError> {
        let inserted = sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, created_at)
             VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username.as_str())
        .bind(display_name.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(internal)?;
        if inserted.rows_affected() == 0 {
            return Err(taken(username));
        }
        Ok(UserView {
            id: UserId(inserted.last_insert_rowid()),
            username: username.as_str().to_owned(),
            display_name: display_name.as_str().to_owned(),
        })
    }

    pub async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, AppError> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash FROM users WHERE username = ?",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        Ok(
            row.map(|(id, username, display_name, password_hash)| Credentials {
                user: UserView {
                    id: UserId(id),
                    username,
                    display_name,
                },
                password_hash,
            }),
        )
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserView>, AppError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, display_name FROM users WHERE id = ?")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
        Ok(row.map(UserView::from))
    }

    /// Whether an account has this username: sign-up asks before it spends
    /// time hashing a password.
    pub async fn username_taken(&self, username: &Username) -> Result<bool, AppError> {
        let (taken,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)")
                .bind(username.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(internal)?;
        Ok(taken)
    }
}

/// Looks up every name on `conn`; the first unknown one is a "not found"
/// naming it.
pub(crate) async fn users_named_in(
    conn: &mut SqliteConnection,
    names: &[Username],
) -> Result<Vec<UserView>, AppError> {
    let mut users = Vec::with_capacity(names.len());
    for name in names {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, display_name FROM users WHERE username = ?")
                .bind(name.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(internal)?;
        match row {
            Some(row) => users.push(row.into()),
            None => {
                return Err(AppError::not_found(format!(
                    "There is no user named \"{}\".",
                    name.as_str()
                )))
            }
        }
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use crate::testing::temp_db;
    use mozi_core::{DisplayName, Username};

    #[tokio::test]
    async fn a_taken_username_is_a_conflict_and_changes_nothing() {
        let (db, _dir) = temp_db().await;
        let name = Username::parse("ada").unwrap();
        let display = DisplayName::parse("Ada").unwrap();
        db.create_user(&name, &display, "hash-1", 1).await.unwrap();
        let error = db
            .create_user(&name, &DisplayName::parse("Other").unwrap(), "hash-2", 2)
            .await
            .unwrap_err();
        assert_eq!(error.code(), "conflict");
        let stored = db.credentials(&name).await.unwrap().unwrap();
        assert_eq!(stored.password_hash, "hash-1");
        assert_eq!(stored.user.display_name, "Ada");
    }

    #[tokio::test]
    async fn unknown_usernames_are_named_in_the_error() {
        let (db, _dir) = temp_db().await;
        let names = [Username::parse("nobody").unwrap()];
        let mut conn = db.pool().acquire().await.unwrap();
        let error = super::users_named_in(&mut conn, &names).await.unwrap_err();
        assert_eq!(error.code(), "not_found");
        assert!(error.to_string().contains("nobody"));
    }
}
