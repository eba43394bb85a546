-- +goose Up
CREATE TABLE IF NOT EXISTS `release_assets_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `name` VARCHAR(100) NOT NULL,
  `path` VARCHAR(200) NOT NULL,
  `data` JSON NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `release_assets_history`;
