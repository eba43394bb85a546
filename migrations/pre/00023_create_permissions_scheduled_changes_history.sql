-- +goose Up
CREATE TABLE IF NOT EXISTS `permissions_scheduled_changes_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `sc_id` INT NOT NULL,
  `scheduled_by` VARCHAR(100) NULL,
  `complete` TINYINT(1) NULL,
  `change_type` VARCHAR(50) NULL,
  `base_permission` VARCHAR(50) NULL,
  `base_username` VARCHAR(100) NULL,
  `base_options` TEXT NULL,
  `base_data_version` INT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `permissions_scheduled_changes_history`;
