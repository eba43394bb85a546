-- +goose Up
CREATE TABLE IF NOT EXISTS `releases_json_scheduled_changes_conditions` (
  `sc_id` INT NOT NULL,
  `when` BIGINT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `releases_json_scheduled_changes_conditions`;
