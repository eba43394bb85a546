-- +goose Up
CREATE TABLE IF NOT EXISTS `permissions_scheduled_changes` (
  `sc_id` INT NOT NULL AUTO_INCREMENT,
  `scheduled_by` VARCHAR(100) NOT NULL,
  `complete` TINYINT(1) NULL,
  `change_type` VARCHAR(50) NOT NULL,
  `base_permission` VARCHAR(50) NOT NULL,
  `base_username` VARCHAR(100) NOT NULL,
  `base_options` TEXT NULL,
  `base_data_version` INT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `permissions_scheduled_changes`;
