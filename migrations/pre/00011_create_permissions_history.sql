-- +goose Up
CREATE TABLE IF NOT EXISTS `permissions_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `permission` VARCHAR(50) NOT NULL,
  `username` VARCHAR(100) NOT NULL,
  `options` TEXT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `permissions_history`;
